"""Error classes shared by adapters and stages: the callee says whether a failure is worth retrying."""

from __future__ import annotations

__all__ = ["IntegrationError", "RetryableError", "PermanentError", "is_retryable_status"]


class IntegrationError(Exception):
    """A call to an external system failed. `status` is the HTTP status when there was one."""

    retryable = False

    def __init__(self, system: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{system}: {message}")
        self.system = system
        self.status = status
        self.detail = message


class RetryableError(IntegrationError):
    """429, 5xx, timeouts, connection resets: the stage raises so Service Bus redelivers."""

    retryable = True


class PermanentError(IntegrationError):
    """Other 4xx and bad configuration: record on the ticket and carry on."""


def is_retryable_status(status: int) -> bool:
    return status == 429 or status >= 500
