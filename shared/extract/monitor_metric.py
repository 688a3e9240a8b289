"""Azure Monitor `Platform` (metric) alert context: one draft per `condition.allOf` criterion."""

from __future__ import annotations

from typing import Any

from shared.extract.assemble import Draft
from shared.extract.records import read_record
from shared.extract.values import as_dict, as_list, lower_keys, string_map, text, to_utc

__all__ = ["read_metric_context", "read_window"]

_ADF_NAMESPACE = "microsoft.datafactory/factories"


def read_window(condition: dict[str, Any], base: Draft) -> None:
    base.fields["window_start"] = to_utc(condition.get("windowStartTime"))
    base.fields["window_end"] = to_utc(condition.get("windowEndTime"))


def _named_subject(metric: str | None, namespace: str | None, dims: dict[str, str]) -> dict[str, str]:
    """ADF metrics put the pipeline (Pipeline* metrics) or the activity (Activity* metrics) in `Name`."""
    name = lower_keys(dims).get("name")
    if not metric or not name or (namespace or _ADF_NAMESPACE).lower() != _ADF_NAMESPACE:
        return {}
    lowered = metric.lower()
    if lowered.startswith("pipeline"):
        return {"pipeline": name}
    if lowered.startswith("activity"):
        return {"activity": name}
    return {}


def _criterion(entry: dict[str, Any]) -> Draft:
    metric = text(entry.get("metricName"))
    namespace = text(entry.get("metricNamespace"))
    dims = string_map(entry.get("dimensions"))
    fields = {**read_record(dims).fields, **_named_subject(metric, namespace, dims), "metric": metric}
    return Draft(fields=fields, dimensions=dims, resource_types=[namespace])


def read_metric_context(context: dict[str, Any], base: Draft) -> list[Draft]:
    condition = as_dict(context.get("condition"))
    read_window(condition, base)
    return [_criterion(entry) for entry in as_list(condition.get("allOf")) if isinstance(entry, dict)]
