"""Child processes that die with devhost: own session, parent-death signal, output drained, clean stop."""

from __future__ import annotations

import collections
import ctypes
import ctypes.util
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable

__all__ = ["ChildProcess", "ChildProcessError_", "free_port", "port_in_use", "wait_for_ports", "die_with_parent",
           "death_signal_hook"]

log = logging.getLogger("devhost.proc")
_PR_SET_PDEATHSIG = 1
_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True) if os.name == "posix" else None


class ChildProcessError_(RuntimeError):
    """A child failed to start or to become ready; the message carries the tail of its output."""


def die_with_parent() -> None:
    """preexec_fn: the kernel sends SIGTERM to the child if devhost dies, even by SIGKILL (Linux)."""
    if _libc is not None:
        _libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def death_signal_hook() -> Callable[[], None] | None:
    """`die_with_parent` when spawning from the main thread: the kernel ties the signal to the spawning
    *thread*, so a child started from a short-lived worker thread would be killed when that thread ends."""
    return die_with_parent if threading.current_thread() is threading.main_thread() else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.2)
        return sock.connect_ex((host, port)) == 0


def wait_for_ports(ports: list[int], timeout: float, alive: Callable[[], bool] = lambda: True) -> bool:
    deadline = time.monotonic() + timeout
    pending = list(ports)
    while pending and time.monotonic() < deadline and alive():
        pending = [p for p in pending if not port_in_use(p)]
        if pending:
            time.sleep(0.05)
    return not pending


class ChildProcess:
    """A started child; its combined output goes to the `devhost.<name>` logger at debug level (or,
    with `echo`, straight to stderr)."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str] | None = None,
                 cwd: str | None = None, echo: bool = False) -> None:
        self.name = name
        self._echo = echo  # pass its lines through to our stderr (they are log lines of our own app)
        self.argv = argv
        self._tail: collections.deque[str] = collections.deque(maxlen=40)
        self._lines: list[str] = []
        self._line_event = threading.Condition()
        self._log = logging.getLogger(f"devhost.{name}")
        try:
            # Own session: a terminal Ctrl-C reaches devhost only, which then stops children in order.
            self.proc = subprocess.Popen(argv, env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                         stderr=subprocess.STDOUT, start_new_session=True,
                                         preexec_fn=death_signal_hook())
        except OSError as exc:
            raise ChildProcessError_(f"{name}: cannot start {argv[0]}: {exc}") from None
        self._reader = threading.Thread(target=self._drain, name=f"{name}-output", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip()
            self._tail.append(line)
            if self._echo:
                print(line, file=sys.stderr, flush=True)
            else:
                self._log.debug("%s", line)
            with self._line_event:
                if len(self._lines) < 1000:  # readiness lines come first; don't keep a long log in memory
                    self._lines.append(line)
                self._line_event.notify_all()

    def tail(self) -> str:
        return "\n".join(self._tail)

    def wait_for_line(self, pattern: str, timeout: float) -> re.Match[str]:
        """Block until a line of output matches; raise with the output tail if it exits or times out."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        seen = 0
        with self._line_event:
            while True:
                for line in self._lines[seen:]:
                    found = regex.search(line)
                    if found:
                        return found
                seen = len(self._lines)
                remaining = deadline - time.monotonic()
                if remaining <= 0 or (not self.alive() and not self._reader.is_alive()):
                    break
                self._line_event.wait(min(remaining, 0.1))
        state = f"exited with {self.proc.returncode}" if not self.alive() else f"not ready after {timeout:.0f}s"
        raise ChildProcessError_(f"{self.name} {state}; its output:\n{self.tail() or '(none)'}")

    def stop(self, grace: float = 5.0) -> None:
        """SIGTERM the child's process group, SIGKILL it after `grace` seconds."""
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    log.warning("%s (pid %d) ignored %s", self.name, self.proc.pid, sig.name)
        self._reader.join(timeout=2)
        if self.proc.stdout:
            self.proc.stdout.close()
