"""Azure Functions (ASP.NET-style) route templates: `{id}`, `{id:alpha}`, `{id?}`, `{*rest}`, precedence."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Generic, TypeVar

__all__ = ["RouteTemplate", "RouteTable", "RouteTemplateError"]

T = TypeVar("T")
_PARAM = re.compile(r"^\{(?P<star>\*{1,2})?(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<constraints>(?::[^:{}?=]+(?:\([^)]*\))?)*)"
                    r"(?P<optional>\?)?(?:=(?P<default>[^{}]*))?\}$")
_CONSTRAINT = re.compile(r":(?P<name>[a-z]+)(?:\((?P<arg>[^)]*)\))?", re.IGNORECASE)


class RouteTemplateError(ValueError):
    """A route template the host cannot parse (bad braces or an unknown constraint)."""


def _is_number(value: str, kind: Callable[[str], object]) -> bool:
    try:
        kind(value)
        return True
    except ValueError:
        return False


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
        return True
    except ValueError:
        return False


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
        return True
    except ValueError:
        return False


def _constraint(name: str, arg: str | None) -> Callable[[str], bool]:
    name = name.lower()
    simple: dict[str, Callable[[str], bool]] = {
        "alpha": lambda v: bool(re.fullmatch(r"[A-Za-z]+", v)),
        "int": lambda v: bool(re.fullmatch(r"-?\d+", v)) and -2**31 <= int(v) < 2**31,
        "long": lambda v: bool(re.fullmatch(r"-?\d+", v)) and -2**63 <= int(v) < 2**63,
        "bool": lambda v: v.lower() in ("true", "false"),
        "guid": _is_guid,
        "datetime": _is_datetime,
        "decimal": lambda v: _is_number(v, float), "double": lambda v: _is_number(v, float),
        "float": lambda v: _is_number(v, float),
    }
    if name in simple:
        return simple[name]
    if arg is None:
        raise RouteTemplateError(f"unknown route constraint '{name}'")
    if name == "regex":
        pattern = re.compile(arg)
        return lambda v: bool(pattern.search(v))
    numbers = [int(a) for a in arg.split(",")] if re.fullmatch(r"-?\d+(,-?\d+)?", arg) else []
    if name == "length" and numbers:
        low, high = (numbers[0], numbers[-1])
        return lambda v: low <= len(v) <= high
    if name == "minlength" and numbers:
        return lambda v: len(v) >= numbers[0]
    if name == "maxlength" and numbers:
        return lambda v: len(v) <= numbers[0]
    if name in ("min", "max", "range") and numbers:
        low = numbers[0] if name != "max" else -2**63
        high = numbers[-1] if name != "min" else 2**63
        return lambda v: bool(re.fullmatch(r"-?\d+", v)) and low <= int(v) <= high
    raise RouteTemplateError(f"unknown route constraint '{name}({arg})'")


@dataclass
class _Segment:
    literal: str | None = None
    name: str = ""
    checks: list[Callable[[str], bool]] = field(default_factory=list)
    optional: bool = False
    default: str | None = None
    catch_all: bool = False

    @property
    def rank(self) -> int:
        """ASP.NET precedence: literal, then constrained parameter, then parameter, then catch-all."""
        if self.literal is not None:
            return 0
        if self.catch_all:
            return 3
        return 1 if self.checks else 2


class RouteTemplate:
    """One parsed template; `match(path)` returns route parameters or None."""

    def __init__(self, template: str) -> None:
        self.template = template.strip("/")
        self.segments = [self._parse(part) for part in self.template.split("/")] if self.template else []
        for seg in self.segments[:-1]:
            if seg.catch_all:
                raise RouteTemplateError(f"catch-all must be the last segment in '{template}'")

    @staticmethod
    def _parse(part: str) -> _Segment:
        if "{" not in part and "}" not in part:
            return _Segment(literal=part.lower())
        found = _PARAM.match(part)
        if not found:
            raise RouteTemplateError(f"route segment '{part}' is not a literal or a single {{parameter}}")
        checks = [_constraint(c["name"], c["arg"]) for c in _CONSTRAINT.finditer(found["constraints"] or "")]
        return _Segment(name=found["name"], checks=checks, optional=bool(found["optional"]),
                        default=found["default"], catch_all=bool(found["star"]))

    @property
    def precedence(self) -> tuple[int, ...]:
        return tuple(seg.rank for seg in self.segments)

    def match(self, path: str) -> dict[str, str] | None:
        parts = [p for p in path.strip("/").split("/")] if path.strip("/") else []
        params: dict[str, str] = {}
        for index, seg in enumerate(self.segments):
            if seg.catch_all:
                rest = "/".join(parts[index:])
                if rest:
                    params[seg.name] = rest
                elif seg.default is not None:
                    params[seg.name] = seg.default
                return params
            if index >= len(parts):
                if seg.optional or seg.default is not None:
                    if seg.default is not None:
                        params[seg.name] = seg.default
                    continue
                return None
            value = parts[index]
            if seg.literal is not None:
                if value.lower() != seg.literal:
                    return None
                continue
            if not value or not all(check(value) for check in seg.checks):
                return None
            params[seg.name] = value
        return params if len(parts) <= len(self.segments) else None


class RouteTable(Generic[T]):
    """Templates ordered by precedence: `resolve(path)` gives every (target, params) that matches."""

    def __init__(self) -> None:
        self._routes: list[tuple[RouteTemplate, T]] = []

    def add(self, template: str, target: T) -> None:
        self._routes.append((RouteTemplate(template), target))
        self._routes.sort(key=lambda item: item[0].precedence)

    def resolve(self, path: str) -> list[tuple[T, dict[str, str]]]:
        found = []
        for template, target in self._routes:
            params = template.match(path)
            if params is not None:
                found.append((target, params))
        return found
