"""Atlassian Document Format (ADF) builders for Jira issue descriptions and comments."""

from __future__ import annotations

from typing import Any

from shared.notify.common import clip, dashboard_ticket_url, error_type, run_links
from shared.tickets import Ticket, iso

__all__ = ["build_description", "comment_document", "text", "paragraph", "heading", "code_block"]

Node = dict[str, Any]

# Jira rejects a description over 32,767 characters; these caps keep the whole document well under.
ERROR_LIMIT = 8000
ITEM_LIMIT = 1000


def text(value: str, href: str | None = None) -> Node:
    node: Node = {"type": "text", "text": value}
    if href:
        node["marks"] = [{"type": "link", "attrs": {"href": href}}]
    return node


def strong(value: str) -> Node:
    return {"type": "text", "text": value, "marks": [{"type": "strong"}]}


def paragraph(*parts: str | Node) -> Node:
    """A paragraph; plain strings become text nodes, newlines become hardBreaks, empty text is dropped
    (Jira answers 400 to an empty text node)."""
    content: list[Node] = []
    for part in parts:
        if isinstance(part, dict):
            content.append(part)
            continue
        for i, line in enumerate(part.split("\n")):
            if i and content:
                content.append({"type": "hardBreak"})
            if line:
                content.append(text(line))
    return {"type": "paragraph", "content": content}


def heading(value: str, level: int = 2) -> Node:
    return {"type": "heading", "attrs": {"level": level}, "content": [text(value)]}


def code_block(value: str) -> Node:
    # Code blocks take unmarked text only; an empty block is legal but says nothing, so callers skip it.
    return {"type": "codeBlock", "attrs": {"language": "text"}, "content": [text(value)]}


def _list(kind: str, items: list[Node]) -> Node:
    return {"type": kind, "content": [{"type": "listItem", "content": [item]} for item in items]}


def _details(ticket: Ticket) -> list[Node]:
    rows: list[tuple[str, str | None]] = [
        ("Pipeline" if ticket.pipeline else "Job" if ticket.job else "Subject", ticket.subject),
        ("Activity / task", ticket.activity),
        ("Run id", ticket.run_id),
        ("Resource", ticket.resource),
        ("Source", ticket.source),
        ("Priority", f"{ticket.priority} ({ticket.severity})"),
        ("Category", ticket.rca.category.value if ticket.rca else None),
        ("Occurrences", str(ticket.occurrences)),
        ("First seen", iso(ticket.first_seen_at)),
        ("SLA due", iso(ticket.sla_due_at)),
        ("Team", ticket.team),
        ("Ticket", ticket.id),
    ]
    return [paragraph(strong(f"{name}: "), clip(value, ITEM_LIMIT)) for name, value in rows if value]


def _links(ticket: Ticket, dashboard_url: str) -> list[Node]:
    links = [(f"Dashboard ticket {ticket.id}", dashboard_ticket_url(dashboard_url, ticket.id))]
    links += run_links(ticket)
    if ticket.rca and ticket.rca.documentation_url and ticket.rca.documentation_url.startswith("http"):
        links.append(("Documentation", ticket.rca.documentation_url))
    return [paragraph(text(title, href)) for title, href in links]


def build_description(ticket: Ticket, dashboard_url: str) -> Node:
    """The issue description: error, root cause, numbered recommendations, details and links."""
    rca = ticket.rca
    content: list[Node] = [paragraph(clip(ticket.title, ITEM_LIMIT) or error_type(ticket)), heading("Error")]
    error = "\n".join(p for p in (ticket.error_code, ticket.error_message) if p)
    content.append(code_block(clip(error, ERROR_LIMIT)) if error.strip()
                   else paragraph("The alert carried no error message."))
    content.append(heading("Root cause"))
    if rca:
        confidence = f"Confidence {rca.confidence:.0%}, from the {rca.source.value} analysis."
        content += [paragraph(rca.root_cause or "No root cause given."), paragraph(confidence)]
    else:
        content.append(paragraph("Not analysed yet."))
    content.append(heading("Recommendations"))
    steps = [r.strip() for r in (rca.recommendations if rca else []) if r.strip()]
    content.append(_list("orderedList", [paragraph(clip(s, ITEM_LIMIT)) for s in steps]) if steps
                   else paragraph("No recommendations."))
    content += [heading("Details"), _list("bulletList", _details(ticket))]
    content += [heading("Links"), _list("bulletList", _links(ticket, dashboard_url))]
    return {"type": "doc", "version": 1, "content": content}


def comment_document(body: str) -> Node:
    """A comment body: one paragraph per line group (ADF has no raw strings)."""
    blocks = [paragraph(chunk) for chunk in clip(body, ERROR_LIMIT).split("\n\n") if chunk.strip()]
    return {"type": "doc", "version": 1, "content": blocks or [paragraph("(no text)")]}
