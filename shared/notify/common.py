"""Facts both integrations render the same way: links, headline, priority names, safe truncation."""

from __future__ import annotations

import re

from shared.tickets import Ticket, TicketStatus

__all__ = [
    "dashboard_ticket_url", "headline", "error_type", "run_links", "clip", "one_line",
    "JIRA_PRIORITY", "STATUS_LABEL",
]

# Jira's default priority scheme; a project with a custom scheme can still map by these names.
JIRA_PRIORITY = {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low"}

STATUS_LABEL = {
    TicketStatus.OPEN: "Open",
    TicketStatus.ACKNOWLEDGED: "Acknowledged",
    TicketStatus.RESOLVED: "Resolved",
    TicketStatus.PIPELINE_ERROR: "Processing error",
}

# Which ticket links a human wants to click, in display order (API links are for machines).
_LINK_TITLES = {
    "run_page": "Run page",
    "portal": "Azure portal",
    "search_results_ui": "Log search results",
}


def dashboard_ticket_url(dashboard_url: str, ticket_id: str) -> str:
    return f"{dashboard_url.rstrip('/')}/#/tickets/{ticket_id}"


def one_line(text: str) -> str:
    """Collapse whitespace: Jira summaries and Slack headers may not contain newlines."""
    return re.sub(r"\s+", " ", text).strip()


def clip(text: str, limit: int) -> str:
    """Cut to `limit` characters with an ellipsis, so a long error never breaks an API limit."""
    return text if len(text) <= limit else text[: max(limit - 1, 0)] + "…"


def error_type(ticket: Ticket) -> str:
    if ticket.rca and ticket.rca.error_type:
        return ticket.rca.error_type
    return ticket.error_code or ticket.failure_type or "unknown error"


def headline(ticket: Ticket) -> str:
    """`<pipeline/job> failed: <error_type>` on one line."""
    return one_line(f"{ticket.subject} failed: {error_type(ticket)}")


def run_links(ticket: Ticket) -> list[tuple[str, str]]:
    """(title, url) pairs for the human-facing links; only http(s), since alert text is untrusted."""
    found = []
    for key, title in _LINK_TITLES.items():
        url = ticket.links.get(key)
        if url and re.match(r"^https?://\S+$", url):
            found.append((title, url))
    return found
