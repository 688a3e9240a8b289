"""Launch `python -m devhost` as a subprocess for tests: free ports, wait for readiness, stop cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from devhost.processes import death_signal_hook

__all__ = ["DevhostHandle", "DevhostStartError", "run_devhost", "PROJECT_ROOT"]

PROJECT_ROOT = Path(__file__).resolve().parents[1]
READY_LINE = "Dashboard: "


class DevhostStartError(RuntimeError):
    """devhost exited or did not get ready in time; the message carries its output."""


class DevhostHandle:
    """A running devhost: `base_url`, `settings` (the connection strings it uses), `output()`, `stop()`."""

    def __init__(self, process: subprocess.Popen[bytes], ready: dict[str, Any], lines: list[str],
                 reader: threading.Thread) -> None:
        self.process = process
        self.base_url: str = ready["base_url"]
        self.port: int = ready["port"]
        self.settings: dict[str, str | None] = ready["settings"]
        self.child_pids: list[int] = ready["child_pids"]
        self._lines = lines
        self._reader = reader

    @property
    def pid(self) -> int:
        return self.process.pid

    def url(self, path: str) -> str:
        return self.base_url + "/" + path.lstrip("/")

    def output(self) -> str:
        """Everything devhost printed so far (stdout and stderr interleaved)."""
        return "\n".join(self._lines)

    def restart_signalr(self, down_seconds: float = 1.0) -> int:
        """Drop every SignalR connection and refuse new ones for `down_seconds`; returns how many dropped."""
        request = urllib.request.Request(self.url(f"/_devhost/signalr/restart?down_seconds={down_seconds}"),
                                         method="POST", data=b"")
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(json.loads(response.read())["dropped"])

    def signalr_connections(self) -> int:
        with urllib.request.urlopen(self.url("/_devhost/status"), timeout=10) as response:
            return int(json.loads(response.read())["signalr_connections"])

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM devhost (it stops its children), SIGKILL after `timeout`; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        self._reader.join(timeout=5)
        return int(self.process.returncode)

    def __enter__(self) -> DevhostHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _drain(process: subprocess.Popen[bytes], lines: list[str], echo: bool) -> None:
    assert process.stdout is not None
    for raw in process.stdout:
        line = raw.decode("utf-8", errors="replace").rstrip("\n")
        lines.append(line)
        if echo:
            print(f"[devhost] {line}", file=sys.stderr, flush=True)


def run_devhost(app: str = "function_app:app", env: Mapping[str, str | None] | None = None, *,
                args: Sequence[str] = (), port: int = 0, cwd: str | Path | None = None,
                timeout: float = 60.0, echo: bool = False) -> DevhostHandle:
    """Start devhost hosting `app` (module:attr) and return once it printed its Dashboard line.

    `env` is added to (and overrides) the current environment, a value of None removes the variable;
    by default devhost starts its own Azurite and Service Bus emulator on free ports and takes a free
    HTTP port (`port=0`), unless `AzureWebJobsStorage` / `ServiceBusConnection` are set.
    `args` are extra CLI arguments (e.g. `["--no-azurite"]`, `["--host-json", path]`).
    """
    ready_file = Path(tempfile.mkdtemp(prefix="devhost-")) / "ready.json"
    full_env = {**os.environ, "DEVHOST_READY_FILE": str(ready_file), "PYTHONUNBUFFERED": "1"}
    for name, value in (env or {}).items():
        if value is None:
            full_env.pop(name, None)
        else:
            full_env[name] = value
    full_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), full_env.get("PYTHONPATH")]))
    argv = [sys.executable, "-m", "devhost", "--port", str(port), "--app", app, *args]
    process = subprocess.Popen(argv, cwd=str(cwd or PROJECT_ROOT), env=full_env, stdin=subprocess.DEVNULL,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, preexec_fn=death_signal_hook())
    lines: list[str] = []
    reader = threading.Thread(target=_drain, args=(process, lines, echo), daemon=True, name="devhost-output")
    reader.start()
    deadline = time.monotonic() + timeout
    while not any(line.startswith(READY_LINE) for line in list(lines)):
        if process.poll() is not None or time.monotonic() > deadline:
            state = f"exited with {process.returncode}" if process.poll() is not None else f"timed out ({timeout:g}s)"
            if process.poll() is None:
                process.kill()
            process.wait(timeout=10)
            reader.join(timeout=5)
            raise DevhostStartError(f"devhost {state} before it was ready; output:\n" + "\n".join(lines))
        time.sleep(0.05)
    ready = json.loads(ready_file.read_text(encoding="utf-8"))
    ready_file.unlink(missing_ok=True)
    ready_file.parent.rmdir()
    return DevhostHandle(process, ready, lines, reader)
