"""ARM resource ids: split `/subscriptions/{sub}/resourceGroups/{rg}/providers/{ns}/{type}/{name}`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.extract.values import text

__all__ = ["ArmId", "parse_arm_id"]


@dataclass(frozen=True)
class ArmId:
    resource_id: str
    subscription_id: str
    resource_group: str | None = None
    resource_type: str | None = None  # lower-cased `namespace/type` of the top-level resource
    resource_name: str | None = None  # the top-level resource: factory, workspace, site

    @property
    def is_resource(self) -> bool:
        return self.resource_name is not None

    def fields(self) -> dict[str, str | None]:
        return {
            "resource_id": self.resource_id,
            "subscription_id": self.subscription_id,
            "resource_group": self.resource_group,
            "resource_name": self.resource_name,
        }


def parse_arm_id(value: Any) -> ArmId | None:
    """The parts of an ARM id, or None when the value is not one (a GUID, a computer name...)."""
    raw = text(value)
    if raw is None or not raw.startswith("/"):
        return None
    parts = [part for part in raw.split("/") if part]
    if len(parts) < 2 or parts[0].lower() != "subscriptions":
        return None
    lowered = [part.lower() for part in parts]
    group = parts[3] if len(parts) > 3 and lowered[2] == "resourcegroups" else None
    resource_type = name = None
    if "providers" in lowered:
        at = lowered.index("providers")
        if len(parts) > at + 3:
            resource_type = f"{lowered[at + 1]}/{lowered[at + 2]}"
            name = parts[at + 3]
    return ArmId(raw, parts[1], group, resource_type, name)
