"""Turn alert-level fields plus per-failure drafts into validated, de-duplicated Alerts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from shared.alerts import Alert, AlertLinks, SourceKind
from shared.extract.arm import parse_arm_id
from shared.extract.errors import INVALID_ALERT, PayloadError, problem
from shared.extract.sources import classify_source
from shared.extract.values import iso_z

__all__ = ["Draft", "assemble"]

_IDENTITY = ("pipeline", "run_id", "activity", "activity_run_id", "job_id", "task_run_id", "cluster_id",
             "termination_event", "resource_id", "error_code", "error_message")


@dataclass
class Draft:
    """What one failure adds to the alert-level fields, and the hints that tell its source."""

    fields: dict[str, Any] = field(default_factory=dict)
    dimensions: dict[str, str] = field(default_factory=dict)
    links: dict[str, str | None] = field(default_factory=dict)
    resource_types: list[str | None] = field(default_factory=list)
    tables: list[str | None] = field(default_factory=list)
    query: str | None = None
    event_time: datetime | None = None  # the row's own time, when rows were sent
    action: str | None = None  # ActionName of a Databricks cluster event
    configuration_items: list[str] = field(default_factory=list)  # essentials.configurationItems


def _merged(base: Draft, draft: Draft) -> tuple[dict[str, Any], list[str | None]]:
    fields = {**base.fields, **{k: v for k, v in draft.fields.items() if v is not None}}
    fields["dimensions"] = {**base.dimensions, **draft.dimensions}
    links = {**base.links, **{k: v for k, v in draft.links.items() if v}}
    fields["links"] = AlertLinks(**{k: v for k, v in links.items() if v})
    own_type = parse_arm_id(fields.get("resource_id"))
    types = [own_type.resource_type if own_type else None, *draft.resource_types, *base.resource_types]
    return fields, types


def _termination_event(fields: dict[str, Any], draft: Draft) -> str | None:
    # A cluster termination has no id of its own. A log row's own time names it; without rows, the
    # alert instance does: every evaluation window of one firing (and its Resolved notice) shares the
    # alertId, while the window end moves on each evaluation.
    if draft.event_time:
        anchor = iso_z(draft.event_time)
    else:
        alert_id = str(fields.get("alert_id") or "")
        anchor = "alert-" + alert_id.rstrip("/").rsplit("/", 1)[-1] if alert_id else None
        if anchor is None:
            moment = fields.get("window_end") or fields.get("fired_at")
            anchor = iso_z(moment) if moment else None
    return "@".join(part for part in (draft.action, anchor) if part) or None


_OWN_RESOURCE = {SourceKind.ADF: "microsoft.datafactory/factories", SourceKind.SYNAPSE: "microsoft.synapse/workspaces"}


def _own_resource(fields: dict[str, Any], source: SourceKind, configuration_items: list[str]) -> None:
    """A pipeline failure is keyed by its factory (or Synapse workspace). A log alert whose rows carry
    no `_ResourceId` targets the Log Analytics workspace instead; its configurationItems then name the
    resource the rows came from, so that name replaces the workspace's (the ARM id is unknown)."""
    arm = parse_arm_id(fields.get("resource_id"))
    if source not in _OWN_RESOURCE or arm is None or arm.resource_type == _OWN_RESOURCE[source]:
        return
    named = next((item for item in configuration_items if item.lower() != (arm.resource_name or "").lower()), None)
    if named is not None:
        fields.update(resource_name=named, resource_id=None, resource_group=None)


def _alert(base: Draft, draft: Draft) -> Alert:
    fields, types = _merged(base, draft)
    source = classify_source(types, [*draft.tables, *base.tables], draft.query or base.query,
                             has_cluster=bool(fields.get("cluster_id")))
    fields["source"] = source
    _own_resource(fields, source, base.configuration_items)
    if source is SourceKind.DATABRICKS_CLUSTER and fields.get("cluster_id") and not fields.get("termination_event"):
        fields["termination_event"] = _termination_event(fields, draft)
    try:
        return Alert(**fields)
    except ValidationError as exc:  # a reader let a badly typed value through; report it, don't crash
        details = [problem(".".join(str(p) for p in err["loc"]), err["msg"]) for err in exc.errors()]
        raise PayloadError(INVALID_ALERT, "the alert has fields of the wrong type", details) from None


def assemble(base: Draft, drafts: list[Draft]) -> list[Alert]:
    """One Alert per draft (or one from the alert-level fields alone), dropping exact repeats."""
    alerts: list[Alert] = []
    seen: set[tuple[Any, ...]] = set()
    for draft in drafts or [Draft()]:
        alert = _alert(base, draft)
        identity = tuple(getattr(alert, name) for name in _IDENTITY)
        if identity not in seen:
            seen.add(identity)
            alerts.append(alert)
    return alerts
