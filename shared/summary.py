"""GET /api/summary: counts, MTTA/MTTR (mean, p50, per priority), SLA compliance, trends, by team."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from shared.api import ApiError
from shared.services import Services
from shared.ticket_facts import TicketFacts

__all__ = ["summarize", "summary_for"]


def _stats(values: Iterable[float]) -> dict[str, float | int | None]:
    data = sorted(values)
    if not data:
        return {"mean_seconds": None, "p50_seconds": None, "n": 0}
    return {"mean_seconds": round(statistics.fmean(data), 1), "p50_seconds": round(statistics.median(data), 1),
            "n": len(data)}


def _durations(tickets: list[TicketFacts], end: str) -> dict[str, Any]:
    by_priority: dict[str, list[float]] = defaultdict(list)
    for t in tickets:
        at = getattr(t, f"{end}_at")
        if at is not None:
            by_priority[t.priority].append((at - t.created_at).total_seconds())
    every = [v for values in by_priority.values() for v in values]
    return {**_stats(every), "by_priority": {p: _stats(v) for p, v in sorted(by_priority.items())}}


def summarize(every: list[TicketFacts], days: int) -> dict[str, Any]:
    # Alert tickets that handed over to run tickets are not incidents: counting them would double.
    tickets = [t for t in every if not t.split]
    sla = Counter(t.sla_status for t in tickets)
    # A reopened ticket's earlier deadlines count too: reopening must not erase a breach.
    sla["met"] += sum(t.sla_met_before for t in tickets)
    sla["breached"] += sum(t.sla_breached_before for t in tickets)
    decided = sla["met"] + sla["breached"]
    per_day: dict[str, Counter[str]] = defaultdict(Counter)
    resolve_by_day: dict[str, list[float]] = defaultdict(list)
    recurring: dict[str, dict[str, Any]] = {}
    teams: dict[str, dict[str, Any]] = defaultdict(lambda: {"tickets": 0, "resolve": [], "llm_tokens": 0})
    llm_calls = llm_tokens = 0
    for t in tickets:
        day = f"{t.created_at:%Y-%m-%d}"
        per_day[day][t.category] += 1
        team = teams[t.team]
        team["tickets"] += 1
        if t.resolved_at:
            seconds = (t.resolved_at - t.created_at).total_seconds()
            resolve_by_day[f"{t.resolved_at:%Y-%m-%d}"].append(seconds)
            team["resolve"].append(seconds)
        # Every analysis that asked Gemini, its answer used or not, so calls and tokens agree (rows
        # written before the llm_called column existed still say it through their rca_source).
        llm_calls += 1 if t.llm_called or t.rca_source == "llm" else 0
        llm_tokens += t.llm_tokens
        team["llm_tokens"] += t.llm_tokens
        if t.fingerprint:
            entry = recurring.setdefault(t.fingerprint, {"fingerprint": t.fingerprint, "tickets": 0, "count": 0,
                                                         "occurrences": 0, "error_type": t.error_type,
                                                         "category": t.category, "last_seen_at": None})
            entry["tickets"] += 1
            entry["count"] = entry["tickets"]
            entry["occurrences"] += t.occurrences
            entry["last_seen_at"] = max(filter(None, [entry["last_seen_at"], t.last_seen_at.isoformat()]))
    open_tickets = [t for t in tickets if t.status != "resolved"]
    return {
        "window_days": days,
        "total": len(tickets),
        "counts": {
            "by_status": dict(Counter(t.status for t in tickets)),
            "by_priority": dict(Counter(t.priority for t in tickets)),
            "by_source": dict(Counter(t.source for t in tickets)),
            "by_category": dict(Counter(t.category for t in tickets)),
            "by_team": dict(Counter(t.team for t in tickets)),
        },
        "open_by_priority": dict(Counter(t.priority for t in open_tickets)),
        "mtta": _durations(tickets, "acknowledged"),
        "mttr": _durations(tickets, "resolved"),
        "sla": {"met": sla["met"], "breached": sla["breached"], "pending": sla["pending"],
                "compliance": round(sla["met"] / decided, 4) if decided else None},
        "breaches": sla["breached"],
        "per_day": [{"date": d, "by_category": dict(c), "total": sum(c.values())} for d, c in sorted(per_day.items())],
        "mttr_trend": [{"date": d, "mean_seconds": round(statistics.fmean(v), 1), "n": len(v)}
                       for d, v in sorted(resolve_by_day.items())],
        "top_recurring": sorted(recurring.values(), key=lambda r: (-r["tickets"], -r["occurrences"]))[:10],
        "by_team": sorted(({"team": name, "tickets": v["tickets"], "llm_tokens": v["llm_tokens"],
                            "mttr_seconds": round(statistics.fmean(v["resolve"]), 1) if v["resolve"] else None}
                           for name, v in teams.items()), key=lambda r: -r["tickets"]),
        "llm": {"calls": llm_calls, "tokens": llm_tokens},
    }


def summary_for(params: Mapping[str, str], svc: Services) -> dict[str, Any]:
    try:
        days = int(params.get("days") or 30)
        if not 1 <= days <= 366:
            raise ValueError
    except ValueError:
        raise ApiError(400, "invalid_query", "days must be an integer from 1 to 366",
                       [{"field": "days", "problem": "out of range"}]) from None
    since = svc.clock.now() - timedelta(days=days)
    return summarize(svc.store.ticket_facts(since=since), days)
