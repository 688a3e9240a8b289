"""Queue settings and the `--queues` syntax: `name[:option=value...]` separated by commas."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

__all__ = ["QueueSettings", "parse_queue_specs", "QUEUE_OPTIONS"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._\-/]{0,259}$")


@dataclass(frozen=True)
class QueueSettings:
    """What Azure calls a queue's properties; the defaults are Azure's own, except the lock duration knob."""

    name: str
    lock_seconds: float = 30.0
    max_delivery_count: int = 10
    duplicate_window_seconds: float = 600.0
    default_ttl_seconds: float | None = None
    dead_letter_on_expiration: bool = False


def _boolean(text: str) -> bool:
    lowered = text.lower()
    if lowered not in ("true", "false", "1", "0", "yes", "no"):
        raise ValueError(f"expected true or false, got {text!r}")
    return lowered in ("true", "1", "yes")


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise ValueError(f"expected a positive number, got {text!r}")
    return value


def _non_negative(text: str) -> float:
    value = float(text)
    if value < 0:
        raise ValueError(f"expected zero or more, got {text!r}")
    return value


def _count(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(f"expected an integer of at least 1, got {text!r}")
    return value


QUEUE_OPTIONS = {
    "lock": ("lock_seconds", _positive),
    "maxdelivery": ("max_delivery_count", _count),
    "dupwindow": ("duplicate_window_seconds", _non_negative),
    "ttl": ("default_ttl_seconds", _positive),
    "deadletteronexpiration": ("dead_letter_on_expiration", _boolean),
}


def parse_queue_specs(specs: str | list[str], defaults: QueueSettings | None = None) -> list[QueueSettings]:
    """Parse `a,b:maxdelivery=3:lock=5` (or a list of such items) into settings; raises ValueError."""
    base = defaults or QueueSettings(name="_")
    items = specs.split(",") if isinstance(specs, str) else [item for spec in specs for item in spec.split(",")]
    queues: dict[str, QueueSettings] = {}
    for item in (item.strip() for item in items):
        if not item:
            continue
        name, *options = item.split(":")
        if not _NAME.match(name) or name.endswith("/") or "//" in name:
            raise ValueError(f"invalid queue name {name!r}")
        settings = replace(base, name=name)
        for option in options:
            key, _, value = option.partition("=")
            if key.lower() not in QUEUE_OPTIONS or not value:
                known = ", ".join(QUEUE_OPTIONS)
                raise ValueError(f"queue {name!r}: unknown option {option!r} (known: {known})")
            field_name, convert = QUEUE_OPTIONS[key.lower()]
            try:
                settings = replace(settings, **{field_name: convert(value)})
            except ValueError as error:
                raise ValueError(f"queue {name!r}, option {key}: {error}") from None
        if name.lower() in queues:
            raise ValueError(f"queue {name!r} is declared twice")
        queues[name.lower()] = settings
    if not queues:
        raise ValueError("declare at least one queue")
    return list(queues.values())
