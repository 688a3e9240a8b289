"""Team and cost-centre attribution from real metadata first (tags), then explicit naming rules."""

from __future__ import annotations

import functools
import re
from typing import Any

from shared.config import Settings
from shared.tickets import Ticket

__all__ = ["attribute", "UNASSIGNED"]

UNASSIGNED = "unassigned"
TEAM_TAGS = ("team", "owner_team", "ownerteam", "owner-team", "squad")
COST_TAGS = ("cost_center", "costcenter", "cost-center", "cost_centre", "costcentre")


def _tag(tags: dict[str, str], names: tuple[str, ...]) -> str | None:
    lowered = {k.lower(): v for k, v in tags.items() if isinstance(v, str) and v.strip()}
    return next((lowered[n].strip() for n in names if n in lowered), None)


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    # Word boundaries on both sides: a rule for "hr" matches "hr-payroll" but never "throttle".
    return re.compile(rf"(?<![A-Za-z0-9])(?:{pattern})(?![A-Za-z0-9])", re.IGNORECASE)


def _rule_values(rule: dict[str, Any], ticket: Ticket) -> tuple[str | None, str | None]:
    field = rule.get("field")
    candidates = [getattr(ticket, field, None)] if field else [ticket.pipeline, ticket.job, ticket.resource]
    for text in candidates:
        if not isinstance(text, str):
            continue
        match = _compiled(rule["pattern"]).search(text)
        if match:
            groups = match.groupdict()
            return groups.get("team") or rule.get("team"), groups.get("cost_center") or rule.get("cost_center")
    return None, None


def attribute(ticket: Ticket, settings: Settings) -> tuple[str, str]:
    team, cost = _tag(ticket.tags, TEAM_TAGS), _tag(ticket.tags, COST_TAGS)
    for rule in settings.team_rules:
        if team and cost:
            break
        rule_team, rule_cost = _rule_values(rule, ticket)
        team, cost = team or rule_team, cost or rule_cost
    return team or UNASSIGNED, cost or UNASSIGNED
