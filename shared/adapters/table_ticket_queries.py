"""The read side of the Table ticket store: the list page, the work-index lookups and the summary facts."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from shared.adapters.storage_errors import storage_boundary
from shared.adapters.ticket_rows import FACT_SELECT, WORK_PARTITION, entity_to_facts, entity_to_ticket, safe_key
from shared.ports import SimilarIncidents, TicketPage, TicketQuery
from shared.ticket_facts import TicketFacts, facts_of
from shared.ticket_query import matches
from shared.tickets import Ticket, iso

__all__ = ["TicketQueries"]

QUERY_COLUMNS = ("status", "priority", "severity", "source", "category")


def _odata_any(column: str, value: str | None) -> str | None:
    if not value:
        return None
    options = [v.strip() for v in value.split(",") if v.strip()]
    quoted = [f"{column} eq '{v.replace(chr(39), chr(39) * 2)}'" for v in options]
    return "(" + " or ".join(quoted) + ")" if quoted else None


def _encode_cursor(month: str, row_key: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([month, row_key]).encode()).decode()


_CURSOR_MONTH = re.compile(r"\d{6}")
_CURSOR_ROW = re.compile(r"\d{14}-T[0-9A-Za-z.\-]{1,40}")


def _decode_cursor(cursor: str) -> tuple[str, str]:
    """Cursors go into an OData filter: accept exactly the shapes this API issues, nothing else."""
    try:
        month, row_key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
    except (ValueError, TypeError) as exc:
        raise ValueError("cursor is not one this API returned") from exc
    if not (isinstance(month, str) and isinstance(row_key, str) and _CURSOR_MONTH.fullmatch(month)
            and _CURSOR_ROW.fullmatch(row_key)):
        raise ValueError("cursor is not one this API returned")
    return month, row_key



@storage_boundary
class TicketQueries:
    """Mixed into TableTicketStore, which provides `_tickets`, `_work` and `get`."""

    _tickets: Any
    _work: Any

    def get(self, ticket_id: str, *, recent: bool = False) -> Ticket | None:  # provided by the store
        raise NotImplementedError

    def list(self, query: TicketQuery) -> TicketPage:
        months = self._months()
        start_month, after_rk = _decode_cursor(query.cursor) if query.cursor else (None, "")
        filters = [f for f in (_odata_any(c, getattr(query, c)) for c in QUERY_COLUMNS) if f]
        if query.team:  # team names come from tags in any case: compare lowercased copies
            filters.append(_odata_any("team_lc", query.team.lower()) or "")
        items: list[Ticket] = []
        last: tuple[str, str] | None = None
        for month in months:
            if start_month and month > start_month:
                continue
            lower = after_rk if month == start_month else ""
            for rk, ticket in self._scan_month(month, lower, filters):
                if query.q and not matches(ticket, TicketQuery(q=query.q)):
                    continue
                if len(items) == query.limit:
                    return TicketPage(items, _encode_cursor(*last) if last else None)
                items.append(ticket)
                last = (month, rk)
        return TicketPage(items, None)

    def _scan_month(self, month: str, after_rk: str, filters: list[str]) -> Iterator[tuple[str, Ticket]]:
        clauses = [f"PartitionKey eq 'm{month}'"] + ([f"RowKey gt '{after_rk}'"] if after_rk else []) + filters
        for entity in self._tickets.query_entities(" and ".join(clauses), results_per_page=100):
            yield entity["RowKey"], entity_to_ticket(entity)

    def _months(self) -> list[str]:
        rows = self._work_prefix("month|")
        return sorted((r["RowKey"].split("|", 1)[1] for r in rows), reverse=True)

    def _work_prefix(self, prefix: str) -> list[dict[str, Any]]:
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        flt = f"PartitionKey eq '{WORK_PARTITION}' and RowKey ge '{prefix}' and RowKey lt '{upper}'"
        return list(self._work.query_entities(flt))

    def _tickets_by_index(self, prefix: str) -> list[Ticket]:
        ids = [row["ticket_id"] for row in self._work_prefix(prefix)]
        return [t for t in (self.get(i) for i in ids) if t is not None]

    def _live(self, flag: str) -> list[Ticket]:
        ids = [row["ticket_id"] for row in self._work_prefix("live|") if row.get(flag)]
        return [t for t in (self.get(i) for i in ids) if t is not None]

    def open_unacknowledged(self) -> list[Ticket]:
        return [t for t in self._live("unacknowledged") if t.is_open and t.acknowledged_at is None]

    def in_flight(self) -> list[Ticket]:
        return [t for t in self._live("in_flight") if t.stage.value != "notified"]

    def find_by_jira_key(self, jira_key: str) -> Ticket | None:
        found = self._tickets_by_index(f"jira|{safe_key(jira_key)}")
        return next((t for t in found if t.jira_key == jira_key), None)

    def find_by_alert_guid(self, guid: str) -> Ticket | None:
        found = self._tickets_by_index(f"alert|{safe_key(guid.strip().lower())}|")
        return found[0] if found else None

    def tickets_for_job(self, workspace_id: str | None, job_id: str) -> list[Ticket]:
        prefix = f"job|{safe_key(workspace_id)}|{safe_key(job_id)}|" if workspace_id else "job|"
        tickets = self._tickets_by_index(prefix)
        return [t for t in tickets if t.job_id == job_id]

    def similar_incidents(self, fingerprint: str, since: datetime, before: datetime, exclude: str,
                          limit: int) -> SimilarIncidents:
        low, high = iso(since) or "", iso(before) or ""
        rows = [r for r in self._work_prefix(f"fp|{safe_key(fingerprint)}|")
                if low <= r.get("created_at", "") <= high and r["ticket_id"] != exclude]
        rows.sort(key=lambda r: (r["created_at"], r["ticket_id"]), reverse=True)
        resolver = next((r for r in rows if r.get("resolved_by")), None)
        fields = ("created_at", "status", "resolved_at", "resolved_by", "jira_key", "jira_url")
        recent = [{"id": r["ticket_id"], **{f: r.get(f) or None for f in fields}} for r in rows[:limit]]
        return SimilarIncidents(len(rows), recent, resolver["ticket_id"] if resolver else None,
                                resolver["resolved_by"] if resolver else None)

    def ticket_facts(self, since: datetime | None = None) -> list[TicketFacts]:
        out: list[TicketFacts] = []
        for month in self._months():
            if since and month < f"{since:%Y%m}":
                break
            for entity in self._tickets.query_entities(f"PartitionKey eq 'm{month}'", select=FACT_SELECT,
                                                       results_per_page=1000):
                facts = entity_to_facts(entity)
                if facts is None:
                    ticket = self.get(entity["id"])
                    facts = facts_of(ticket) if ticket else None
                if facts is not None and (since is None or facts.created_at >= since):
                    out.append(facts)
        return out

    def all_tickets(self, since: datetime | None = None) -> list[Ticket]:
        out: list[Ticket] = []
        for month in self._months():
            if since and month < f"{since:%Y%m}":
                break
            out += [t for _, t in self._scan_month(month, "", []) if since is None or t.created_at >= since]
        return out
