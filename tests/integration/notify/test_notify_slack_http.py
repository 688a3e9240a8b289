"""SlackClient (real slack-sdk WebClient) against the fake Slack: Block Kit, channels, rate limits."""

from __future__ import annotations

import time

import pytest

from shared.errors import PermanentError, RetryableError
from shared.notify.slack import SlackClient
from shared.tickets import TicketStatus
from tests.fakes_http.slack_server import FakeSlack
from tests.integration.notify.notify_clients import make_slack
from tests.unit.notify.notify_samples import DASHBOARD, build_ticket

RATELIMITED = {"ok": False, "error": "ratelimited"}


def test_post_ticket_returns_the_channel_id_and_ts(slack: SlackClient, slack_server: FakeSlack) -> None:
    ref = slack.post_ticket(build_ticket(), DASHBOARD)
    assert ref.channel == "C0AIOPS001" and ref.ts  # the id, which chat.update needs, not "#aiops-alerts"
    assert slack_server.errors == [] and slack_server.warnings == []
    request = slack_server.requests_to(r"chat\.postMessage")[0]
    assert request.headers["authorization"] == "Bearer xoxb-test-token"
    body = request.json()
    assert body["channel"] == "#aiops-alerts" and body["text"].startswith("P2 PL_Ingest_Sales failed")
    assert body["blocks"][0]["type"] == "header"


def test_update_replaces_the_message_and_shows_who_did_it(slack: SlackClient, slack_server: FakeSlack) -> None:
    ticket = build_ticket()
    ticket.slack = slack.post_ticket(ticket, DASHBOARD)
    ticket.status, ticket.acknowledged_by, ticket.acknowledged_at = TicketStatus.ACKNOWLEDGED, "ana", ticket.created_at
    slack.update_ticket(ticket, DASHBOARD, note="Acknowledged by ana via dashboard")
    message = slack_server.messages[("C0AIOPS001", ticket.slack.ts)]
    assert len(message["updates"]) == 1 and slack_server.errors == []
    context = [b for b in message["blocks"] if b["type"] == "context"][0]["elements"][0]["text"]
    assert "acknowledged by ana" in context and "via dashboard" in context


def test_thread_reply_lands_under_the_message(slack: SlackClient, slack_server: FakeSlack) -> None:
    ticket = build_ticket()
    ticket.slack = slack.post_ticket(ticket, DASHBOARD)
    slack.thread_reply(ticket, "Failed again: *3* more")
    assert [m["text"] for m in slack_server.replies(ticket.slack.ts)] == ["Failed again: *3* more"]
    assert len(slack_server.top_level()) == 1


def test_rate_limit_is_retried_by_the_sdk_handler(slack: SlackClient, slack_server: FakeSlack) -> None:
    slack_server.fail_next(r"chat\.postMessage", status=429, headers={"Retry-After": "0"}, body=RATELIMITED)
    slack.post_ticket(build_ticket(), DASHBOARD)
    assert len(slack_server.requests_to(r"chat\.postMessage")) == 2 and len(slack_server.top_level()) == 1


def test_persistent_rate_limit_is_retryable(slack: SlackClient, slack_server: FakeSlack) -> None:
    slack_server.fail_next(r"chat\.postMessage", status=429, times=5, headers={"Retry-After": "0"}, body=RATELIMITED)
    with pytest.raises(RetryableError) as err:
        slack.post_ticket(build_ticket(), DASHBOARD)
    assert err.value.status == 429 and len(slack_server.requests) == 3


def test_a_long_retry_after_is_left_to_service_bus(slack_server: FakeSlack) -> None:
    slack_server.fail_next(r"chat\.postMessage", status=429, headers={"Retry-After": "120"}, body=RATELIMITED)
    started = time.monotonic()
    with pytest.raises(RetryableError):
        make_slack(slack_server, max_retry_after=5).post_ticket(build_ticket(), DASHBOARD)
    assert time.monotonic() - started < 2 and len(slack_server.requests) == 1


def test_server_errors_are_retried_then_retryable(slack: SlackClient, slack_server: FakeSlack) -> None:
    slack_server.fail_next(r"chat\.postMessage", status=500)
    slack.post_ticket(build_ticket(), DASHBOARD)
    slack_server.fail_next(r"chat\.postMessage", status=503, times=5)
    with pytest.raises(RetryableError) as err:
        slack.post_ticket(build_ticket(), DASHBOARD)
    assert err.value.status == 503


def test_unknown_channel_is_permanent(slack_server: FakeSlack) -> None:
    with pytest.raises(PermanentError, match="channel_not_found"):
        make_slack(slack_server, channel="#nowhere").post_ticket(build_ticket(), DASHBOARD)


def test_scripted_ok_false_answer_is_permanent(slack: SlackClient, slack_server: FakeSlack) -> None:
    slack_server.fail_next(r"chat\.postMessage", status=200, body={"ok": False, "error": "channel_not_found"})
    with pytest.raises(PermanentError) as err:
        slack.post_ticket(build_ticket(), DASHBOARD)
    assert err.value.status == 200 and "channel_not_found" in str(err.value)


def test_bad_token_is_permanent_and_never_echoed(slack_server: FakeSlack) -> None:
    with pytest.raises(PermanentError, match="invalid_auth") as err:
        make_slack(slack_server, token="xoxb-wrong-secret").post_ticket(build_ticket(), DASHBOARD)
    assert "xoxb-wrong-secret" not in str(err.value)


def test_update_needs_an_existing_message(slack: SlackClient) -> None:
    from shared.tickets import SlackRef
    ticket = build_ticket(slack=SlackRef(channel="C0AIOPS001", ts="1.000001"))
    with pytest.raises(PermanentError, match="message_not_found"):
        slack.update_ticket(ticket, DASHBOARD)


def test_timeout_is_retryable(slack_server: FakeSlack) -> None:
    slack_server.fail_next(r"chat\.postMessage", status=200, times=3, delay=0.6, body={"ok": True})
    with pytest.raises(RetryableError):
        make_slack(slack_server, timeout=0.2).post_ticket(build_ticket(), DASHBOARD)


def test_invalid_blocks_would_be_rejected(slack_server: FakeSlack) -> None:
    import requests
    reply = requests.post(f"{slack_server.api_url}chat.postMessage", timeout=2,
                          headers={"Authorization": "Bearer xoxb-test-token"},
                          json={"channel": "C0AIOPS001", "text": "x",
                                "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "x" * 200}}]})
    assert reply.json()["error"] == "invalid_blocks"
