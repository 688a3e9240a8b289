"""Azure Monitor activity-log family contexts: Administrative/Policy/..., ServiceHealth, Resource Health."""

from __future__ import annotations

from typing import Any

from shared.alerts import AlertEvent
from shared.extract.arm import parse_arm_id
from shared.extract.assemble import Draft
from shared.extract.values import as_dict, json_object, lower_keys, string_map, text

__all__ = ["read_activity_log_context", "read_resource_health_context", "read_service_health_context"]

_EVENT_KEYS = ("operationName", "status", "subStatus", "caller", "level", "eventSource", "channels",
               "correlationId", "eventDataId", "operationId")
_SERVICE_HEALTH_KEYS = ("title", "service", "region", "incidentType", "trackingId", "stage", "impactType",
                        "impactStartTime", "impactMitigationTime", "communicationId")
_RESOURCE_HEALTH_KEYS = ("title", "type", "cause", "currentHealthStatus", "previousHealthStatus")


def _pick(source: dict[str, Any], keys: tuple[str, ...]) -> dict[str, str]:
    return string_map({key: source.get(key) for key in keys})


def _status_error(properties: dict[str, Any]) -> dict[str, str | None]:
    """A failed ARM operation's `statusMessage` is JSON text: {"error": {"code", "message"}}."""
    status = lower_keys(json_object(properties.get("statusMessage")))
    error = lower_keys(as_dict(status.get("error"))) or status
    return {"error_code": text(error.get("code")) or text(properties.get("statusCode")),
            "error_message": text(error.get("message"))}


def read_activity_log_context(context: dict[str, Any], base: Draft) -> list[Draft]:
    properties = as_dict(context.get("properties"))
    dims = {**_pick(context, _EVENT_KEYS), **_pick(properties, ("eventCategory", "entity"))}
    fields: dict[str, Any] = dict(_status_error(properties))
    for candidate in (as_dict(context.get("authorization")).get("scope"), properties.get("entity"),
                      context.get("resourceId")):
        arm = parse_arm_id(candidate)
        if arm is not None and arm.is_resource:
            fields.update(arm.fields())
            break
    return [Draft(fields=fields, dimensions=dims)]


def _is_resolved(*values: Any) -> bool:
    return any((text(value) or "").lower() == "resolved" for value in values)


def read_service_health_context(context: dict[str, Any], base: Draft) -> list[Draft]:
    properties = as_dict(context.get("properties"))
    dims = {**_pick(context, ("operationName", "status", "level")), **_pick(properties, _SERVICE_HEALTH_KEYS)}
    if _is_resolved(properties.get("stage"), context.get("status")):
        base.fields["event"] = AlertEvent.RESOLVED  # the incident notice says it is over
    return [Draft(fields={"error_message": text(properties.get("title"))}, dimensions=dims)]


def read_resource_health_context(context: dict[str, Any], base: Draft) -> list[Draft]:
    properties = as_dict(context.get("properties"))
    dims = {**_pick(context, ("operationName", "status", "level")), **_pick(properties, _RESOURCE_HEALTH_KEYS)}
    if (text(properties.get("currentHealthStatus")) or "").lower() == "available":
        base.fields["event"] = AlertEvent.RESOLVED  # back to healthy
    message = text(properties.get("details")) or text(properties.get("title"))
    return [Draft(fields={"error_message": message}, dimensions=dims)]
