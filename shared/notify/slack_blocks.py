"""Block Kit for the one Slack message per ticket: header, facts, root cause, steps and buttons."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.notify.common import STATUS_LABEL, clip, dashboard_ticket_url, error_type, headline, one_line
from shared.tickets import Ticket, TicketStatus

__all__ = ["ticket_blocks", "fallback_text", "escape", "fit", "slack_date", "status_line",
           "HEADER_LIMIT", "TEXT_LIMIT", "FIELD_LIMIT", "MAX_FIELDS", "MAX_BLOCKS"]

# Block Kit limits (docs.slack.dev/reference/block-kit): exceeding any is an invalid_blocks error.
HEADER_LIMIT = 150
TEXT_LIMIT = 3000
FIELD_LIMIT = 2000
MAX_FIELDS = 10
MAX_BLOCKS = 50
BUTTON_TEXT_LIMIT = 75
ERROR_EXCERPT = 600

PRIORITY_EMOJI = {"P1": ":rotating_light:", "P2": ":red_circle:", "P3": ":large_orange_circle:",
                  "P4": ":large_blue_circle:"}
STATUS_EMOJI = {TicketStatus.ACKNOWLEDGED: ":eyes:", TicketStatus.RESOLVED: ":white_check_mark:"}

Block = dict[str, Any]


def escape(value: str) -> str:
    """mrkdwn control characters; without this an alert could smuggle `<!channel>` or a disguised link."""
    return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def fit(value: str, limit: int) -> str:
    """Escape, then cut the raw text until the escaped form fits (never splitting an entity)."""
    out = escape(value)
    raw = value
    while len(out) > limit:
        raw = raw[: max(len(raw) - (len(out) - limit) - 1, 0)]
        out = escape(raw) + "…"
    return out


def slack_date(at: datetime) -> str:
    """A date Slack renders in each reader's time zone, with a UTC fallback."""
    fallback = at.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {{time}}|{fallback}>"


def _mrkdwn(value: str) -> Block:
    return {"type": "mrkdwn", "text": value}


def _section(value: str) -> Block:
    return {"type": "section", "text": _mrkdwn(clip(value, TEXT_LIMIT))}


def status_line(ticket: Ticket) -> str:
    """Who did what, from the ticket itself, so every chat.update shows the full story."""
    parts = [f"{STATUS_EMOJI.get(ticket.status, '')} *{STATUS_LABEL.get(ticket.status, ticket.status)}*".strip()]
    if ticket.acknowledged_at:
        who = fit(ticket.acknowledged_by or 'someone', 200)
        parts.append(f"acknowledged by {who} {slack_date(ticket.acknowledged_at)}")
    if ticket.status == TicketStatus.RESOLVED and ticket.resolved_at:
        parts.append(f"resolved by {fit(ticket.resolved_by or 'someone', 200)} {slack_date(ticket.resolved_at)}")
    if ticket.status == TicketStatus.OPEN and ticket.reopened_at:
        parts.append(f"reopened {slack_date(ticket.reopened_at)}")
    if ticket.sla_status == "breached":
        when = f" {slack_date(ticket.sla_breached_at)}" if ticket.sla_breached_at else ""
        parts.append(":warning: SLA breached" + when)
    return " · ".join(parts)


def _fields(ticket: Ticket) -> list[Block]:
    rca = ticket.rca
    rows = [
        ("Pipeline" if ticket.pipeline else "Job" if ticket.job else "Subject", ticket.subject),
        ("Source", ticket.source),
        ("Category", rca.category.value if rca else "not analysed"),
        ("Error type", error_type(ticket)),
        ("SLA due", None),
        ("Priority", f"{ticket.priority} ({ticket.severity})"),
        ("Occurrences", str(ticket.occurrences)),
        ("Team", ticket.team),
        ("Jira", ticket.jira_key),
    ]
    fields = []
    for name, value in rows:
        if name == "SLA due":
            text = f"*SLA due*\n{slack_date(ticket.sla_due_at)}" if ticket.sla_due_at else "*SLA due*\nnot set"
        elif not value:
            continue
        else:
            text = f"*{name}*\n{fit(value, FIELD_LIMIT - len(name) - 4)}"
        fields.append(_mrkdwn(text))
    return fields[:MAX_FIELDS]


def _buttons(ticket: Ticket, dashboard_url: str, jira_url: str | None) -> list[Block]:
    def button(label: str, **kw: Any) -> Block:
        return {"type": "button", "text": {"type": "plain_text", "text": label[:BUTTON_TEXT_LIMIT]}, **kw}

    buttons = []
    if ticket.status in (TicketStatus.OPEN, TicketStatus.PIPELINE_ERROR):
        buttons.append(button("Acknowledge", action_id="ack", value=f"ack|{ticket.id}", style="primary"))
    if ticket.status != TicketStatus.RESOLVED:
        buttons.append(button("Resolve", action_id="resolve", value=f"resolve|{ticket.id}"))
    buttons.append(button("Open dashboard", action_id="open_dashboard",
                          url=dashboard_ticket_url(dashboard_url, ticket.id)))
    if ticket.jira_key and jira_url:
        buttons.append(button(f"Open in Jira ({ticket.jira_key})", action_id="open_jira", url=jira_url))
    return buttons


def ticket_blocks(ticket: Ticket, dashboard_url: str, note: str | None = None) -> list[Block]:
    """The whole message. `note` is the latest action ("Acknowledged by ana via dashboard: on it")."""
    title = one_line(f"{PRIORITY_EMOJI.get(ticket.priority, '')} {ticket.priority} · {headline(ticket)}")
    blocks: list[Block] = [
        {"type": "header", "text": {"type": "plain_text", "text": clip(title, HEADER_LIMIT), "emoji": True}},
        {"type": "section", "text": _mrkdwn(fit(ticket.title or headline(ticket), TEXT_LIMIT)),
         "fields": _fields(ticket)},
    ]
    rca = ticket.rca
    if rca and rca.root_cause.strip():
        blocks.append(_section("*Root cause*\n" + fit(rca.root_cause, TEXT_LIMIT - 20)))
    steps = [r.strip() for r in (rca.recommendations if rca else []) if r.strip()]
    if steps:
        budget = (TEXT_LIMIT - 30) // len(steps) - 6
        lines = [f"{i}. {fit(one_line(step), budget)}" for i, step in enumerate(steps, 1)]
        blocks.append(_section("*Recommendations*\n" + "\n".join(lines)))
    error = (ticket.error_message or "").strip()
    if error:
        # Backticks would end the code span early; the full text is in Jira and on the dashboard.
        excerpt = fit(error.replace("```", "'''"), ERROR_EXCERPT)
        blocks.append(_section(f"*Error*\n```{excerpt}```"))
    context = status_line(ticket)
    if note:
        context += "\n" + fit(note, 1000)
    blocks.append({"type": "context", "elements": [_mrkdwn(clip(context, TEXT_LIMIT))]})
    jira_url = ticket.jira_url
    blocks.append({"type": "actions", "block_id": f"ticket|{ticket.id}",
                   "elements": _buttons(ticket, dashboard_url, jira_url)})
    return blocks[:MAX_BLOCKS]


def fallback_text(ticket: Ticket) -> str:
    """Notification and screen-reader text (Slack uses it when blocks cannot be shown)."""
    status = STATUS_LABEL.get(ticket.status, str(ticket.status))
    return fit(f"{ticket.priority} {headline(ticket)} ({status})", 3000)
