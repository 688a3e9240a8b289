"""Map one flat record — alert dimensions or a Log Analytics row — onto Alert fields by column name."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from shared.extract.arm import parse_arm_id
from shared.extract.values import identifier, json_object, lower_keys, text, to_utc

__all__ = ["IDENTIFYING_FIELDS", "RecordView", "read_record"]

# Column / dimension names (lower-cased) per Alert field, first match wins. Sources: the ADFPipelineRun,
# ADFActivityRun, Synapse*, DatabricksJobs/Clusters tables, ADF/Synapse metric dimensions, App Insights.
_ALIASES: dict[str, tuple[str, ...]] = {
    "pipeline": ("pipelinename", "pipeline"),
    "run_id": ("runid", "pipelinerunid"),
    "activity_run_id": ("activityrunid",),
    "activity": ("activityname", "activity", "taskkey", "operation_name"),
    "activity_type": ("activitytype",),
    "error_code": ("errorcode", "resultcode", "outertype"),
    "error_message": ("errormessage", "outermessage"),
    "failure_type": ("failuretype",),
    "job_id": ("jobid",),
    "job": ("jobname",),
    "cluster_id": ("clusterid", "cluster_id"),
    "cluster_name": ("clustername", "cluster_name"),
    "resource_name": ("cloud_rolename",),  # App Insights: the function app that served the request
}
_ID_FIELDS = frozenset({"run_id", "activity_run_id", "job_id", "cluster_id"})
_PARENT_RUN_KEYS = ("multitaskparentrunid", "parentrunid")
_TIME_KEYS = ("timegenerated", "timestamp", "time")

# Fields that make a row (or dimension set) name a failure rather than, say, a heartbeat count.
IDENTIFYING_FIELDS = ("pipeline", "run_id", "activity_run_id", "activity", "job_id", "cluster_id",
                      "error_code", "error_message")


@dataclass
class RecordView:
    fields: dict[str, Any] = field(default_factory=dict)
    time: datetime | None = None
    action: str | None = None  # DatabricksClusters/Jobs ActionName
    status: str | None = None  # ADF/Synapse run Status
    table: str | None = None  # the `$table` column, when the query unions tables

    @property
    def identifies_something(self) -> bool:
        return any(self.fields.get(name) for name in IDENTIFYING_FIELDS)


def _first(view: Mapping[str, Any], keys: tuple[str, ...], as_id: bool) -> str | None:
    for key in keys:
        value = identifier(view.get(key)) if as_id else text(view.get(key))
        if value is not None:
            return value
    return None


def _merge_missing(target: dict[str, Any], extra: Mapping[str, Any]) -> None:
    for name, value in extra.items():
        if value is not None and target.get(name) is None:
            target[name] = value


def _error_column(value: Any) -> dict[str, Any]:
    """ADFActivityRun's `Error` column: a JSON object {errorCode, message, failureType} or plain text."""
    error = lower_keys(json_object(value))
    if error:
        return {"error_code": text(error.get("errorcode")), "error_message": text(error.get("message")),
                "failure_type": text(error.get("failuretype"))}
    return {"error_message": text(value)}


def read_record(record: Mapping[Any, Any]) -> RecordView:
    """Alert fields named by a record's keys, plus what RequestParams / Error JSON columns add."""
    view = lower_keys(record)
    params = lower_keys(json_object(view.get("requestparams")))
    fields: dict[str, Any] = {}
    for name, keys in _ALIASES.items():
        fields[name] = _first(view, keys, as_id=name in _ID_FIELDS)
    _merge_missing(fields, {name: _first(params, keys, name in _ID_FIELDS) for name, keys in _ALIASES.items()})
    _merge_missing(fields, _error_column(view.get("error")) if "error" in view else {})

    parent = _first(view, _PARENT_RUN_KEYS, as_id=True) or _first(params, _PARENT_RUN_KEYS, as_id=True)
    if parent is not None:
        fields["task_run_id"], fields["parent_run_id"], fields["run_id"] = fields.get("run_id"), parent, parent

    for key in ("_resourceid", "resourceid"):
        arm = parse_arm_id(view.get(key))
        if arm is not None and arm.is_resource:
            fields.update(arm.fields())
            break

    time = next((to_utc(view.get(key)) for key in _TIME_KEYS if to_utc(view.get(key))), None)
    return RecordView(
        fields={name: value for name, value in fields.items() if value is not None},
        time=time,
        action=text(view.get("actionname")),
        status=text(view.get("status")),
        table=text(view.get("$table")),
    )
