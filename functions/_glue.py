"""Shared trigger plumbing: ApiResponse ↔ func.HttpResponse, SignalR pushes, queue bodies."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from typing import Any

import azure.functions as func

from shared.api import MAX_BODY, ApiError, ApiResponse, error_response
from shared.errors import IntegrationError
from shared.ports import Outcome

__all__ = ["http", "push", "send", "queue_body", "SIGNALR", "timed"]

log = logging.getLogger("functions")

# Keyword arguments of the SignalR output binding every ticket-changing function declares.
SIGNALR = dict(arg_name="signalr", type="signalR", hub_name="tickets",
               connection_string_setting="AzureSignalRConnectionString")


def to_http(resp: ApiResponse) -> func.HttpResponse:
    return func.HttpResponse(resp.body, status_code=resp.status, headers=resp.headers, mimetype=resp.mimetype)


def http(req: func.HttpRequest, handler: Callable[[], ApiResponse], name: str,
         limit_body: bool = True) -> func.HttpResponse:
    """Run a handler; contract errors become their 4xx, anything else a logged 500 (a bug).
    Ingestion passes limit_body=False: it archives even a rejected oversized body."""
    started = time.perf_counter()
    try:
        if limit_body and len(req.get_body() or b"") > MAX_BODY:
            raise ApiError(413, "payload_too_large", "request bodies are limited to 1 MiB")
        resp = handler()
    except ApiError as exc:
        resp = exc.response()
    except IntegrationError as exc:  # a dependency is down: retryable for the caller, not a bug
        log.warning("dependency unavailable: %s", exc, extra={"stage": name})
        resp = error_response(503, "service_unavailable", f"{exc.system} is unavailable; retry shortly")
        resp.headers["Retry-After"] = "5"
    except Exception:
        log.exception("unhandled error", extra={"stage": name})
        resp = error_response(500, "internal_error", "unexpected error; it has been logged")
    log.info("%s %s -> %d in %.1f ms", req.method, name, resp.status, (time.perf_counter() - started) * 1000,
             extra={"stage": name})
    return to_http(resp)


def push(signalr: func.Out[str] | None, outcome: Outcome) -> None:
    """Hand every ticket change of an outcome to the SignalR output binding."""
    if signalr is not None and outcome.changes:
        signalr.set(json.dumps([c.signalr_message() for c in outcome.changes], default=str))


def send(outcome: Outcome, publisher: Any, best_effort: bool = False) -> None:
    """Send an outcome's messages. Best effort (an HTTP action already stored its change): a lost
    follow-up costs a Slack refresh or a Jira transition, so it is logged, not turned into a 500."""
    for message in outcome.messages:
        try:
            publisher.send(message.queue, message.body, message.message_id)
        except IntegrationError:
            if not best_effort:
                raise
            log.error("follow-up message not sent", extra={"ticket_id": message.body.get("ticket_id")})


def queue_body(msg: func.ServiceBusMessage) -> dict[str, Any]:
    """The JSON body of a stage message, plus the delivery count handlers use to decide retries."""
    try:
        body = json.loads(msg.get_body().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        log.error("stage message is not JSON; completing it", extra={"stage": "queue"})
        return {}
    if not isinstance(body, dict):
        return {}
    body["_delivery_count"] = getattr(msg, "delivery_count", None) or 1
    return body


def timed(stage: str, ticket_id: str | None) -> Callable[[float], None]:
    started = time.perf_counter()

    def done(_: float = 0.0) -> None:
        log.info("%s done in %.1f ms", stage, (time.perf_counter() - started) * 1000,
                 extra={"stage": stage, "ticket_id": ticket_id})
    return done
