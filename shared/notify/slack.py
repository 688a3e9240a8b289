"""Slack Web API client (slack-sdk WebClient): the ticket message, its updates and thread replies."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from shared.errors import PermanentError, RetryableError
from shared.notify.common import clip
from shared.notify.slack_blocks import fallback_text, ticket_blocks
from shared.tickets import SlackRef, Ticket

if TYPE_CHECKING:  # the SDK is imported lazily: cold starts pay only for what they use
    from slack_sdk import WebClient

__all__ = ["SlackClient"]

SYSTEM = "slack"
# Slack answers these with ok=false; they say "try again later", not "your request is wrong".
RETRYABLE_ERRORS = {"ratelimited", "internal_error", "fatal_error", "service_unavailable",
                    "request_timeout", "team_added_to_org"}


def _retry_handlers(max_retries: int, backoff: float, max_retry_after: float) -> list[Any]:
    from slack_sdk.http_retry import (
        BackoffRetryIntervalCalculator,
        ConnectionErrorRetryHandler,
        Jitter,
        RateLimitErrorRetryHandler,
    )
    from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

    class ProportionalJitter(Jitter):
        """The SDK's default jitter adds up to a whole second whatever the backoff; scale it instead."""

        def recalculate(self, duration: float) -> float:
            return duration * (1 + random.random())

    class CappedRateLimitHandler(RateLimitErrorRetryHandler):
        """The SDK sleeps for Retry-After; a long wait is better spent by Service Bus redelivering."""

        def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
            if not super()._can_retry(state=state, request=request, response=response, error=error):
                return False
            values = {k.lower(): v for k, v in (response.headers or {}).items()}.get("retry-after") or ["1"]
            try:
                wait = float(values[0] if isinstance(values, list) else values)
            except ValueError:
                wait = 1.0
            return wait <= max_retry_after

    calc = BackoffRetryIntervalCalculator(backoff_factor=backoff, jitter=ProportionalJitter())
    return [
        ConnectionErrorRetryHandler(max_retry_count=max_retries, interval_calculator=calc),
        CappedRateLimitHandler(max_retry_count=max_retries),
        ServerErrorRetryHandler(max_retry_count=max_retries, interval_calculator=calc),
    ]


class SlackClient:
    """Errors arrive as RetryableError (429, 5xx, timeouts, after the SDK's retry handlers) or
    PermanentError (channel_not_found, invalid_auth, invalid_blocks, ...). Never echoes the token."""

    def __init__(self, token: str, channel: str | None, base_url: str | None = None, *,
                 timeout: float = 10, max_retries: int = 2, retry_backoff: float = 0.5,
                 max_retry_after: float = 30.0, client: WebClient | None = None) -> None:
        self.channel = channel or ""
        if client is None:
            from slack_sdk import WebClient

            kwargs: dict[str, Any] = {"token": token, "timeout": timeout,
                                      "retry_handlers": _retry_handlers(max_retries, retry_backoff, max_retry_after)}
            if base_url:
                kwargs["base_url"] = base_url.rstrip("/") + "/"  # the SDK joins method names onto it
            client = WebClient(**kwargs)
        self._client = client

    def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        from slack_sdk.errors import SlackApiError, SlackClientError

        try:
            response = getattr(self._client, method)(**kwargs)
        except SlackApiError as exc:
            status = exc.response.status_code
            error = str(exc.response.get("error") or f"HTTP {status}") if isinstance(exc.response.data, dict) \
                else f"HTTP {status}"
            retryable = status == 429 or status >= 500 or error in RETRYABLE_ERRORS
            cls = RetryableError if retryable else PermanentError
            raise cls(SYSTEM, f"{method}: {error}", status=status) from None
        except SlackClientError as exc:
            raise PermanentError(SYSTEM, f"{method}: {type(exc).__name__}") from None
        except (OSError, TimeoutError) as exc:  # URLError, connection reset, socket timeout
            raise RetryableError(SYSTEM, f"{method}: {type(exc).__name__}") from None
        return dict(response.data) if isinstance(response.data, dict) else {}

    def post_ticket(self, ticket: Ticket, dashboard_url: str) -> SlackRef:
        """The one top-level message; returns where it lives (channel id, not name, for chat.update)."""
        if not self.channel:
            raise PermanentError(SYSTEM, "SLACK_CHANNEL not set")
        reply = self._call("chat_postMessage", channel=self.channel, text=fallback_text(ticket),
                           blocks=ticket_blocks(ticket, dashboard_url), unfurl_links=False)
        if not reply.get("ts"):
            raise PermanentError(SYSTEM, "chat.postMessage answered without ts")
        return SlackRef(channel=str(reply.get("channel") or self.channel), ts=str(reply["ts"]),
                        repeats_reported=ticket.occurrences)

    def update_ticket(self, ticket: Ticket, dashboard_url: str, note: str | None = None) -> None:
        ref = self._ref(ticket)
        self._call("chat_update", channel=ref.channel, ts=ref.ts, text=fallback_text(ticket),
                   blocks=ticket_blocks(ticket, dashboard_url, note=note))

    def thread_reply(self, ticket: Ticket, text: str) -> str:
        """A reply under the ticket message; `text` is mrkdwn the caller has already made safe."""
        ref = self._ref(ticket)
        reply = self._call("chat_postMessage", channel=ref.channel, thread_ts=ref.ts,
                           text=clip(text, 3900), unfurl_links=False)
        return str(reply.get("ts") or "")

    @staticmethod
    def _ref(ticket: Ticket) -> SlackRef:
        if ticket.slack is None:
            raise PermanentError(SYSTEM, f"ticket {ticket.id} has no Slack message")
        return ticket.slack
