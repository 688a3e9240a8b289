"""One notify delivery's bookkeeping: audit each integration call, park permanent errors on the
ticket, and hold back a retryable error until the other integration has had its turn."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from shared.errors import IntegrationError, PermanentError, RetryableError
from shared.services import Services
from shared.tickets import AuditEntry, iso

__all__ = ["Attempt", "ACTOR"]

ACTOR = "notify"
T = TypeVar("T")


class Attempt:
    def __init__(self, svc: Services, ticket_id: str) -> None:
        self.svc = svc
        self.ticket_id = ticket_id
        self.retry: RetryableError | None = None
        self._trail: list[Any] | None = None  # the audit trail, read once per delivery
        self._pending: list[AuditEntry] = []

    def redact(self, text: str) -> str:
        """Belt and braces: no secret reaches the audit trail or the ticket, whatever a peer echoes."""
        settings = self.svc.settings
        for secret in (settings.jira_api_token, settings.slack_bot_token, settings.jira_webhook_secret,
                       settings.slack_signing_secret):
            if secret and len(secret) >= 4:
                text = text.replace(secret, "***")
        return text[:500]

    def call(self, system: str, operation: str, fn: Callable[[], T], *,
             best_effort: bool = False) -> tuple[bool, T | None]:
        """Run one call. (True, result) on success; on failure the error is audited, a permanent one
        is stored on the ticket, and a retryable one is kept for `finish` unless `best_effort`."""
        try:
            return True, fn()
        except IntegrationError as exc:
            retryable = isinstance(exc, RetryableError)
            message = self.redact(exc.detail)
            self.record(f"{system}_failed", operation=operation, status=exc.status, message=message,
                        retryable=retryable)
            if isinstance(exc, RetryableError):
                if not best_effort and self.retry is None:
                    self.retry = exc
            elif isinstance(exc, PermanentError):
                self._park(system, operation, exc.status, message)
            return False, None

    def _park(self, system: str, operation: str, status: int | None, message: str) -> None:
        entry = {"system": system, "operation": operation, "status": status, "message": message,
                 "at": iso(self.svc.clock.now())}

        def add(ticket: Any) -> None:
            ticket.integration_errors.append(entry)

        self.svc.store.mutate(self.ticket_id, add)

    def last(self, action: str, **match: Any) -> Any | None:
        """The newest audit entry for `action` (with these details), read once per delivery."""
        if self._trail is None:
            self._trail = self.svc.audit.read(self.ticket_id)
        return next((e for e in reversed(self._trail)
                     if e.action == action and all(e.details.get(k) == v for k, v in match.items())), None)

    def done_before(self, action: str, **match: Any) -> bool:
        """Whether the audit trail already shows `action` (with these details): the redelivery guard for
        side effects the ticket row has no field for (comments, escalations)."""
        return self.last(action, **match) is not None

    def record(self, action: str, **details: Any) -> None:
        """Append now (with any notes still pending, in order): for records a redelivery relies on."""
        self.note(action, **details)
        self.flush()

    def note(self, action: str, **details: Any) -> None:
        """An informational entry, written with the next record or at `finish` (one write for several)."""
        self._pending.append(AuditEntry(at=self.svc.clock.now(), actor=ACTOR, action=action, details=details))

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        self.svc.audit.append_many(self.ticket_id, pending)
        if self._trail is not None:
            self._trail.extend(pending)

    def finish(self) -> None:
        """Write pending notes, then raise the held retryable error, so Service Bus redelivers once
        both integrations ran."""
        self.flush()
        if self.retry is not None:
            raise self.retry
