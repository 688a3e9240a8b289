"""How a Ticket maps to Table rows: its own row, and the work-index rows that answer the timers.

Partition design (the `tickets` table):
- PartitionKey `m<yyyymm>` of the creation month; RowKey `<inverted creation ms>-<ticket id>`.
  Table Storage returns rows in key order, so a month partition reads newest first, and the list
  endpoint walks months newest to oldest, stopping as soon as a page is full: the first page of the
  dashboard touches one partition and a few dozen rows however many tickets exist. Both keys derive
  from the ticket id (which embeds its creation millisecond), so a lookup by id is a point read.
- Flat columns (status, priority, severity, source, category, team, acked) carry what list filters
  need, so OData filters run server-side; the full ticket is JSON in `doc0..docN` (a string property
  holds at most 32K UTF-16 characters; an entity up to 1 MiB).

The `ticketindex` table holds one partition, `work`, of small rows keyed by purpose:
`live|<id>` for a ticket that is open and unacknowledged (the SLA timer) or not yet notified (the
redrive timer), with both flags as columns, so a new ticket costs one index row; `jira|<key>`
(Jira webhook lookup), `job|<workspace>|<job>|<id>` (a later job success), `fp|<fingerprint>|<id>`
(similar past incidents), `alert|<alert guid>|<id>` (alert-keyed tickets by Azure alert GUID), `month|<yyyymm>` (the partitions that exist). Index rows change only on
state changes, never on a repeat occurrence, so the hot path of a duplicate alert is a single
etag-checked row update. They are written one by one, not as an entity-group transaction: they are
derived data that the next write of the ticket repairs, and Azurite serves batches 3-4x slower.
"""

from __future__ import annotations

import re
from dataclasses import fields
from typing import Any

from shared.ticket_facts import TicketFacts, facts_of
from shared.tickets import Stage, Ticket, TicketStatus, iso, ticket_created_at

__all__ = ["ticket_keys", "ticket_to_entity", "entity_to_ticket", "index_rows", "month_key",
           "WORK_PARTITION", "safe_key", "entity_doc", "alert_guid", "similar_summary", "entity_to_facts", "FACT_SELECT"]

WORK_PARTITION = "work"
CHUNK = 30_000
MAX_INVERTED = 99_999_999_999_999  # milliseconds: newest first to the millisecond
_UNSAFE = re.compile(r"[/\\#?\x00-\x1f\x7f|]")


def safe_key(value: str) -> str:
    """Row keys may not contain / \\ # ? or control characters ('|' is our separator)."""
    return _UNSAFE.sub("_", value)[:512]


def similar_summary(ticket: Ticket) -> dict[str, str]:
    """The few fields a similar-incident link shows (also the columns of its index row)."""
    return {"created_at": iso(ticket.created_at) or "", "status": ticket.status.value,
            "resolved_at": iso(ticket.resolved_at) or "", "resolved_by": ticket.resolved_by or "",
            "jira_key": ticket.jira_key or "", "jira_url": ticket.jira_url or ""}


def alert_guid(alert_id: str) -> str:
    """The GUID at the end of an Azure alertId (`/subscriptions/.../alerts/<guid>`), lowercased."""
    return alert_id.rstrip("/").rsplit("/", 1)[-1].removeprefix("alert:").lower()


def month_key(ticket_id: str) -> str:
    created = ticket_created_at(ticket_id)
    if created is None:
        raise KeyError(ticket_id)
    return f"m{created:%Y%m}"


def ticket_keys(ticket_id: str) -> tuple[str, str]:
    created = ticket_created_at(ticket_id)
    if created is None:
        raise KeyError(ticket_id)
    inverted = MAX_INVERTED - int(created.timestamp() * 1000)
    return f"m{created:%Y%m}", f"{inverted:014d}-{ticket_id}"


def _search_text(ticket: Ticket) -> str:
    from shared.ticket_query import search_text

    return search_text(ticket)[:2000]


def ticket_to_entity(ticket: Ticket) -> dict[str, Any]:
    pk, rk = ticket_keys(ticket.id)
    doc = ticket.model_dump_json(exclude={"audit"})
    entity: dict[str, Any] = {
        "PartitionKey": pk, "RowKey": rk, "id": ticket.id, "dedup_key": ticket.dedup_key[:1000],
        "status": ticket.status.value, "priority": ticket.priority, "severity": ticket.severity,
        "source": ticket.source, "team": ticket.team, "team_lc": ticket.team.lower(), "stage": ticket.stage.value,
        "category": ticket.rca.category.value if ticket.rca else "",
        "acked": ticket.acknowledged_at is not None, "occurrences": ticket.occurrences,
        "search": _search_text(ticket), "chunks": 0,
    }
    # The summary's facts as typed columns, so it can select them instead of parsing documents.
    facts = facts_of(ticket)
    entity.update({f"f_{k}": v for k, v in vars(facts).items() if v is not None and k not in FACT_COLUMNS_SHARED})
    parts = [doc[i:i + CHUNK] for i in range(0, len(doc), CHUNK)] or [""]
    entity["chunks"] = len(parts)
    for i, part in enumerate(parts):
        entity[f"doc{i}"] = part
    return entity


FACT_COLUMNS_SHARED = {"id", "status", "priority", "source", "team", "category", "occurrences"}
FACT_SELECT = sorted({"id", "status", "priority", "source", "team", "category", "occurrences"}
                     | {f"f_{f.name}" for f in fields(TicketFacts)} - {f"f_{n}" for n in FACT_COLUMNS_SHARED})


def entity_to_facts(entity: dict[str, Any]) -> TicketFacts | None:
    """None for a row written before the facts columns existed (read the whole ticket instead)."""
    if "f_created_at" not in entity:
        return None
    values = {k[2:]: v for k, v in entity.items() if k.startswith("f_")}
    values.update({k: entity[k] for k in FACT_COLUMNS_SHARED if k in entity})
    values["category"] = values.get("category") or "unclassified"
    return TicketFacts(**values)


def entity_doc(entity: dict[str, Any]) -> str:
    """The ticket's JSON document, joined from its `doc0..docN` columns."""
    return "".join(entity.get(f"doc{i}", "") for i in range(int(entity.get("chunks", 1))))


def entity_to_ticket(entity: dict[str, Any]) -> Ticket:
    return Ticket.model_validate_json(entity_doc(entity))


def index_rows(ticket: Ticket) -> dict[str, dict[str, Any]]:
    """The work-index rows this ticket should have, by RowKey."""
    rows: dict[str, dict[str, Any]] = {}

    def add(rk: str, **cols: Any) -> None:
        rows[rk] = {"PartitionKey": WORK_PARTITION, "RowKey": rk, "ticket_id": ticket.id, **cols}

    unacknowledged = ticket.is_open and ticket.acknowledged_at is None
    in_flight = ticket.stage != Stage.NOTIFIED
    if unacknowledged or in_flight:
        # Flags only: a row that changes with every stage would cost a write per stage.
        add(f"live|{ticket.id}", unacknowledged=unacknowledged, in_flight=in_flight)
    if ticket.jira_key:
        add(f"jira|{safe_key(ticket.jira_key)}")
    if ticket.dedup_key.startswith("alert:"):  # buttons and labels of other tools carry the alert GUID
        add(f"alert|{safe_key(alert_guid(ticket.dedup_key))}|{ticket.id}")
    if ticket.rca and ticket.rca.fingerprint:
        # Carries what "seen N times before, resolved by ..." shows, so recall reads no ticket rows.
        add(f"fp|{safe_key(ticket.rca.fingerprint)}|{ticket.id}", **similar_summary(ticket))
    if ticket.job_id and ticket.status != TicketStatus.RESOLVED:  # a later job success looks for these
        add(f"job|{safe_key(ticket.workspace_id or '-')}|{safe_key(ticket.job_id)}|{ticket.id}")
    add(f"month|{month_key(ticket.id)[1:]}")
    return rows
