"""The Block Kit message stays inside Slack's limits, escapes untrusted text and shows who did what."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from shared.notify.slack_blocks import HEADER_LIMIT, escape, fallback_text, fit, ticket_blocks
from shared.tickets import TicketStatus
from tests.fakes_http.slack_server import validate_blocks
from tests.unit.notify.notify_samples import DASHBOARD, NOW, build_ticket


def by_type(blocks: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [b for b in blocks if b["type"] == kind]


def buttons(blocks: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["action_id"]: e for e in by_type(blocks, "actions")[0]["elements"]}


def test_message_has_header_fields_root_cause_steps_and_buttons() -> None:
    blocks = ticket_blocks(build_ticket(), DASHBOARD)
    validate_blocks(blocks)
    header = by_type(blocks, "header")[0]["text"]
    assert header["type"] == "plain_text" and "P2" in header["text"] and "PL_Ingest_Sales" in header["text"]
    fields = [f["text"] for f in blocks[1]["fields"]]
    for name in ("*Pipeline*\nPL_Ingest_Sales", "*Source*\nadf", "*Category*\nsource_not_found",
                 "*Error type*\nUserErrorSourceBlobNotExists"):
        assert name in fields
    assert any(f.startswith("*SLA due*\n<!date^") for f in fields)
    body = json.dumps(blocks)
    assert "*Root cause*" in body and "1. Check that the upstream" in body and "2. Re-run" in body
    found = buttons(blocks)
    assert found["ack"]["value"] == "ack|T20261204-030000-3F9A"
    assert found["resolve"]["value"] == "resolve|T20261204-030000-3F9A"
    assert found["open_dashboard"]["url"] == f"{DASHBOARD}/#/tickets/T20261204-030000-3F9A"
    assert "open_jira" not in found  # no key yet


def test_jira_button_appears_once_the_issue_exists() -> None:
    ticket = build_ticket(jira_key="OPS-7", jira_url="https://acme.atlassian.net/browse/OPS-7")
    found = buttons(ticket_blocks(ticket, DASHBOARD))
    assert found["open_jira"]["url"] == "https://acme.atlassian.net/browse/OPS-7"


def test_untrusted_recommendations_cannot_ping_or_disguise_links() -> None:
    ticket = build_ticket()
    ticket.rca.recommendations = ["<!channel> click <https://evil.example|the fix> & relax"]
    ticket.rca.root_cause = "<@U123> broke it"
    body = json.dumps(ticket_blocks(ticket, DASHBOARD))
    assert "<!channel>" not in body and "<https://evil" not in body and "<@U123>" not in body
    assert "&lt;!channel&gt; click &lt;https://evil.example|the fix&gt; &amp; relax" in body


def test_oversized_text_is_cut_to_block_kit_limits() -> None:
    ticket = build_ticket(title="T" * 5000, pipeline="P" * 3000, error_message="E&" * 5000)
    ticket.rca.root_cause = "<" * 4000
    ticket.rca.recommendations = ["&" * 1000] * 10
    blocks = ticket_blocks(ticket, DASHBOARD, note="n" * 5000)
    validate_blocks(blocks)
    assert len(by_type(blocks, "header")[0]["text"]["text"]) <= HEADER_LIMIT
    assert len(fallback_text(ticket)) <= 3000


def test_status_line_says_who_acknowledged_and_resolved() -> None:
    ticket = build_ticket(status=TicketStatus.ACKNOWLEDGED, acknowledged_at=NOW + timedelta(minutes=3),
                          acknowledged_by="ana@contoso.com")
    blocks = ticket_blocks(ticket, DASHBOARD, note="Acknowledged by ana@contoso.com via slack: looking")
    context = by_type(blocks, "context")[0]["elements"][0]["text"]
    assert "*Acknowledged*" in context and "acknowledged by ana@contoso.com" in context
    assert "via slack: looking" in context
    assert set(buttons(blocks)) == {"resolve", "open_dashboard"}

    ticket.status, ticket.resolved_at, ticket.resolved_by = TicketStatus.RESOLVED, NOW + timedelta(hours=1), "bo"
    blocks = ticket_blocks(ticket, DASHBOARD)
    context = by_type(blocks, "context")[0]["elements"][0]["text"]
    assert "*Resolved*" in context and "resolved by bo" in context
    assert set(buttons(blocks)) == {"open_dashboard"}


def test_fit_escapes_and_never_splits_an_entity() -> None:
    assert escape("a<b>&c") == "a&lt;b&gt;&amp;c"
    for n in range(5, 40):
        out = fit("&" * 50, n)
        assert len(out) <= n
        assert out.rstrip("…").replace("&amp;", "") == ""


@pytest.mark.parametrize("blocks, complaint", [
    ([{"type": "divider"}] * 51, "no more than 50"),
    ([{"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}], "less than 151"),
    ([{"type": "header", "text": {"type": "mrkdwn", "text": "x"}}], "plain_text"),
    ([{"type": "section", "fields": [{"type": "mrkdwn", "text": "x"}] * 11}], "1 to 10"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}}], "less than 3001"),
    ([{"type": "section", "text": {"type": "mrkdwn", "text": ""}}], "more than 0"),
    ([{"type": "actions", "elements": [
        {"type": "button", "text": {"type": "plain_text", "text": "a"}, "action_id": "ack"},
        {"type": "button", "text": {"type": "plain_text", "text": "b"}, "action_id": "ack"}]}], "not unique"),
    ([{"type": "section"}], "text or fields"),
])
def test_fake_rejects_invalid_blocks(blocks: list[dict[str, Any]], complaint: str) -> None:
    with pytest.raises(AssertionError, match=complaint):
        validate_blocks(blocks)
