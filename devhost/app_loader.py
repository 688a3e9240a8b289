"""Import a FunctionApp and describe each function by its trigger and bindings (`get_raw_bindings()`)."""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["AppLoadError", "Binding", "HostedFunction", "load_app", "describe_functions", "resolve_setting_expr",
           "SUPPORTED_BINDINGS"]

# Binding types the host can fulfil; anything else is reported at startup and the function is not hosted.
SUPPORTED_BINDINGS = {"httpTrigger", "http", "serviceBusTrigger", "serviceBus", "timerTrigger", "warmupTrigger",
                      "signalR", "signalRConnectionInfo"}
TRIGGERS = {"httpTrigger", "serviceBusTrigger", "timerTrigger", "warmupTrigger"}
_SETTING_EXPR = re.compile(r"%([^%]+)%")


class AppLoadError(RuntimeError):
    """The app cannot be imported or one of its bindings cannot be hosted; the message says why."""


@dataclass(frozen=True)
class Binding:
    name: str
    type: str
    direction: str
    raw: Mapping[str, Any]

    def get(self, key: str, default: Any = None) -> Any:
        return self.raw.get(key, default)


@dataclass
class HostedFunction:
    """A function as the host sees it: the callable, its trigger, input and output bindings."""

    name: str
    func: Callable[..., Any]
    trigger: Binding
    inputs: list[Binding] = field(default_factory=list)
    outputs: list[Binding] = field(default_factory=list)
    parameters: list[str] = field(default_factory=list)

    @property
    def is_async(self) -> bool:
        return inspect.iscoroutinefunction(self.func)

    @property
    def wants_context(self) -> bool:
        return "context" in self.parameters and all(b.name != "context" for b in self.bindings)

    @property
    def bindings(self) -> list[Binding]:
        return [self.trigger, *self.inputs, *self.outputs]

    def outputs_of(self, kind: str) -> list[Binding]:
        return [b for b in self.outputs if b.type == kind]


def resolve_setting_expr(value: str, env: Mapping[str, str] | None = None) -> str:
    """Replace `%NAME%` with the app setting NAME, as the Functions host does for binding values."""
    env = os.environ if env is None else env

    def lookup(found: re.Match[str]) -> str:
        name = found.group(1)
        if name not in env:
            raise AppLoadError(f"app setting '{name}' (used as %{name}%) is not set; "
                               f"add it to local.settings.json or the environment")
        return env[name]

    return _SETTING_EXPR.sub(lookup, value)


def load_app(spec: str) -> Any:
    """Import `module[:attr]` or `path/to/file.py[:attr]`; attr defaults to `app`."""
    target, _, attr = spec.partition(":")
    attr = attr or "app"
    try:
        if target.endswith(".py"):
            path = Path(target).resolve()
            module_name = f"devhost_app_{path.stem}"
            loader_spec = importlib.util.spec_from_file_location(module_name, path)
            if loader_spec is None or loader_spec.loader is None:
                raise AppLoadError(f"cannot load app file {path}")
            module = importlib.util.module_from_spec(loader_spec)
            sys.modules[module_name] = module
            loader_spec.loader.exec_module(module)
        else:
            if os.getcwd() not in sys.path:
                sys.path.insert(0, os.getcwd())
            module = importlib.import_module(target)
    except ModuleNotFoundError as exc:
        raise AppLoadError(f"cannot import app module '{target}': {exc}") from exc
    app = getattr(module, attr, None)
    if app is None or not hasattr(app, "get_functions"):
        raise AppLoadError(f"'{spec}' is not a FunctionApp (no attribute '{attr}' with get_functions())")
    return app


def _binding(raw_json: str) -> Binding:
    raw = json.loads(raw_json)
    return Binding(name=raw["name"], type=raw["type"], direction=str(raw.get("direction", "")).upper(), raw=raw)


def describe_functions(app: Any) -> tuple[list[HostedFunction], list[str]]:
    """Return the hostable functions and one problem line per function that cannot be hosted."""
    hosted: list[HostedFunction] = []
    problems: list[str] = []
    for function in app.get_functions():
        name = function.get_function_name()
        bindings = [_binding(raw) for raw in function.get_raw_bindings()]
        unsupported = sorted({b.type for b in bindings if b.type not in SUPPORTED_BINDINGS})
        triggers = [b for b in bindings if b.type in TRIGGERS]
        if unsupported:
            problems.append(f"function '{name}': binding type(s) {', '.join(unsupported)} not supported by devhost")
            continue
        if len(triggers) != 1:
            problems.append(f"function '{name}': expected exactly one trigger, found {len(triggers)}")
            continue
        if str(triggers[0].get("cardinality", "one")).lower() != "one" or triggers[0].get("isSessionsEnabled"):
            problems.append(f"function '{name}': batched (cardinality many) or session triggers are not supported")
            continue
        user_function = function.get_user_function()
        hosted.append(HostedFunction(
            name=name,
            func=user_function,
            trigger=triggers[0],
            inputs=[b for b in bindings if b.direction == "IN" and b is not triggers[0]],
            outputs=[b for b in bindings if b.direction == "OUT"],
            parameters=list(inspect.signature(user_function).parameters),
        ))
    return hosted, problems
