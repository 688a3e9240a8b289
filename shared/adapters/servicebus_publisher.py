"""Publisher on Azure Service Bus: one long-lived sender per queue, message_id for duplicate detection."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from shared.config import Settings
from shared.errors import RetryableError

__all__ = ["ServiceBusPublisher"]

log = logging.getLogger(__name__)


class ServiceBusPublisher:
    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._client: Any = None
        self._senders: dict[str, Any] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def _build_client(self) -> Any:
        from azure.servicebus import ServiceBusClient

        s = self._settings
        # Few, short retries: ingestion must answer 503 within seconds when Service Bus is down
        # (the sender retries), and queue stages are redelivered anyway.
        retry = {"retry_total": 1, "retry_backoff_factor": 0.2, "retry_backoff_max": 1}
        if s.servicebus_connection:
            return ServiceBusClient.from_connection_string(s.servicebus_connection, **retry)
        if not s.servicebus_namespace:
            raise RetryableError("servicebus", "no ServiceBusConnection configured")
        from shared.adapters.storage_clients import azure_credential

        return ServiceBusClient(s.servicebus_namespace, azure_credential(s.servicebus_client_id), **retry)

    def _sender(self, queue: str) -> tuple[Any, threading.Lock]:
        with self._guard:
            if self._client is None:
                self._client = self._build_client()
            if queue not in self._senders:
                self._senders[queue] = self._client.get_queue_sender(queue)
                self._locks[queue] = threading.Lock()
            return self._senders[queue], self._locks[queue]

    def send(self, queue: str, body: dict[str, Any], message_id: str) -> None:
        from azure.servicebus import ServiceBusMessage
        from azure.servicebus.exceptions import ServiceBusError

        message = ServiceBusMessage(json.dumps(body), message_id=message_id,
                                    content_type="application/json",
                                    application_properties={"stage": str(body.get("stage", ""))})
        sender, lock = self._sender(queue)
        try:
            with lock:  # the sync sender is not safe for concurrent use
                sender.send_messages(message)
        except (ServiceBusError, OSError) as exc:
            self._drop(queue)
            raise RetryableError("servicebus", f"send to {queue} failed: {type(exc).__name__}") from exc

    def _drop(self, queue: str) -> None:
        with self._guard:
            sender = self._senders.pop(queue, None)
        if sender is not None:
            try:
                sender.close()
            except Exception:  # closing a broken link may fail too; the next send reopens
                log.debug("sender close failed", exc_info=True)

    def close(self) -> None:
        for queue in list(self._senders):
            self._drop(queue)
        if self._client is not None:
            self._client.close()
