"""Azure Monitor webhooks (common alert schema, every monitoringService) → normalized Alerts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from shared.alerts import Alert, AlertEvent
from shared.extract.arm import parse_arm_id
from shared.extract.assemble import Draft, assemble
from shared.extract.errors import INVALID_ALERT, NON_COMMON_SCHEMA, UNSUPPORTED_SCHEMA, PayloadError, problem
from shared.extract.monitor_activity import (
    read_activity_log_context,
    read_resource_health_context,
    read_service_health_context,
)
from shared.extract.monitor_logs import looks_like_v1, read_log_v1_context, read_log_v2_context
from shared.extract.monitor_metric import read_metric_context
from shared.extract.values import as_dict, as_list, string_map, text, to_utc

__all__ = ["extract_azure_monitor"]

COMMON_SCHEMA = "azureMonitorCommonAlertSchema"
_LEGACY_SCHEMAS = {"azuremonitormetricalert", "microsoft.insights/activitylogs", "microsoft.insights/logalert"}
# Top-level keys of a legacy Log Analytics V1 payload, which has no schemaId and no data wrapper.
_LEGACY_V1_KEYS = {"AlertRuleName", "SearchQuery", "SearchResult", "SearchResults", "AlertThresholdOperator"}
_SEVERITIES = {f"sev{n}": f"Sev{n}" for n in range(5)} | {str(n): f"Sev{n}" for n in range(5)}
_CONDITIONS = {"fired": ("Fired", AlertEvent.FAILURE), "resolved": ("Resolved", AlertEvent.RESOLVED)}

Reader = Callable[[dict[str, Any], Draft], list[Draft]]


def _non_common(schema: str, detail: str | None = None) -> PayloadError:
    return PayloadError(
        NON_COMMON_SCHEMA,
        f"This alert uses the non-common Azure Monitor schema '{schema}'. Enable the common alert schema on "
        "the action group's webhook action (useCommonAlertSchema: true) and send it again.",
        [problem("schemaId", detail or f"'{schema}' is not {COMMON_SCHEMA}")],
    )


def _data_of(payload: Any) -> dict[str, Any]:
    """The common-schema `data` object, or the PayloadError that says why there is none."""
    if not isinstance(payload, dict):
        raise PayloadError(INVALID_ALERT, "an Azure Monitor alert must be a JSON object",
                           [problem("$", f"expected an object, got {type(payload).__name__}")])
    schema = payload.get("schemaId")
    data = payload.get("data")
    if isinstance(schema, str) and schema.strip():
        name = schema.strip()
        if name.lower() == COMMON_SCHEMA.lower():
            return _require_object(data, "data")
        if name.lower() in _LEGACY_SCHEMAS:
            raise _non_common(name)
        raise PayloadError(UNSUPPORTED_SCHEMA, f"unknown alert schema '{name[:80]}'; send the Azure Monitor "
                           "common alert schema", [problem("schemaId", f"unsupported value '{name[:80]}'")])
    if schema is not None and not isinstance(schema, str):
        raise PayloadError(INVALID_ALERT, "schemaId must be a string", [problem("schemaId", "expected a string")])
    if _LEGACY_V1_KEYS & payload.keys() or "context" in as_dict(data):
        raise _non_common("legacy Log Analytics V1" if "data" not in payload else "legacy",
                          f"missing: a legacy payload without schemaId, not {COMMON_SCHEMA}")
    if isinstance(data, dict) and isinstance(data.get("essentials"), dict):
        return data  # common schema with the schemaId left out by the sender
    raise PayloadError(INVALID_ALERT, "not an Azure Monitor alert in the common alert schema",
                       [problem("schemaId", "missing"), problem("data.essentials", "missing")])


def _require_object(value: Any, path: str) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    raise PayloadError(INVALID_ALERT, f"{path} must be an object",
                       [problem(path, "missing" if value is None else "expected an object")])


def _essentials(data: dict[str, Any]) -> Draft:
    essentials = _require_object(data.get("essentials"), "data.essentials")
    problems = []
    alert_id = text(essentials.get("alertId"))
    if alert_id is None:
        problems.append(problem("data.essentials.alertId", "missing" if essentials.get("alertId") in (None, "")
                                else "expected a string"))
    condition = _CONDITIONS.get((text(essentials.get("monitorCondition")) or "").lower())
    if condition is None:
        raw = essentials.get("monitorCondition")
        problems.append(problem("data.essentials.monitorCondition",
                                "missing" if raw in (None, "") else "expected 'Fired' or 'Resolved'"))
    if problems or condition is None:
        raise PayloadError(INVALID_ALERT, "the alert's essentials are incomplete", problems)

    fields: dict[str, Any] = {
        "alert_id": alert_id,
        "alert_rule": text(essentials.get("alertRule")),
        "alert_rule_id": text(essentials.get("alertRuleId")),
        "azure_severity": _SEVERITIES.get((text(essentials.get("severity")) or "").lower()),
        "monitor_condition": condition[0],
        "event": condition[1],
        "fired_at": to_utc(essentials.get("firedDateTime")),
        "resolved_at": to_utc(essentials.get("resolvedDateTime")),
        "description": text(essentials.get("description")),
        "tags": string_map(data.get("customProperties")),
    }
    targets = [parse_arm_id(target) for target in as_list(essentials.get("alertTargetIDs"))]
    arms = [arm for arm in targets if arm is not None]
    if arms:
        fields.update(arms[0].fields())
    items = [name for name in (text(item) for item in as_list(essentials.get("configurationItems"))) if name]
    if fields.get("resource_name") is None:
        fields["resource_name"] = next(iter(items), None)
    return Draft(fields=fields, resource_types=[arm.resource_type for arm in arms], configuration_items=items)


def _reader(service: str | None, context: dict[str, Any]) -> tuple[str, Reader | None, bool]:
    """(signal, reader, whether alertContext.properties are the rule's custom properties)."""
    name = (service or "").strip().lower()
    if name == "platform":
        return "metric", read_metric_context, True
    if name == "simple log alert":
        return "log_simple", read_log_v2_context, True
    if name == "log alerts v2" or (name in ("log analytics", "application insights") and not looks_like_v1(context)):
        return "log_v2", read_log_v2_context, True
    if name in ("log analytics", "application insights") or looks_like_v1(context):
        return "log_v1", read_log_v1_context, False
    if name.startswith("activity log"):
        return "activity_log", read_activity_log_context, False
    if name in ("servicehealth", "service health"):
        return "service_health", read_service_health_context, False
    if name == "resource health":
        return "resource_health", read_resource_health_context, False
    if text(context.get("conditionType")) == "LogQueryCriteria":
        return "log_v2", read_log_v2_context, True
    return "other", None, False


def extract_azure_monitor(payload: object) -> list[Alert]:
    """Every failure an Azure Monitor common-schema alert reports (at least one), or a PayloadError."""
    data = _data_of(payload)
    base = _essentials(data)
    context = as_dict(data.get("alertContext"))
    signal, reader, properties_are_tags = _reader(text(as_dict(data.get("essentials")).get("monitoringService")),
                                                  context)
    base.fields["signal"] = signal
    if properties_are_tags:
        base.fields["tags"] = {**string_map(context.get("properties")), **base.fields["tags"]}
    drafts = reader(context, base) if reader is not None else []
    return assemble(base, drafts)
