"""`python -m devhost` as a program: port conflicts, demo replay, settings, auth fallback, clean shutdown."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from devhost.demo import demo_requests
from devhost.testing import PROJECT_ROOT, run_devhost
from tests.integration.devhost.helpers import HERE, sample_env, wait_for

TINY_APP = str(HERE / "tiny_app.py") + ":app"
TINY_ENV = {"TINY_SCHEDULE": "*/1 * * * * *"}
NO_CHILDREN = ["--no-azurite", "--no-servicebus"]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(") ")[1].startswith("Z"))


def test_a_port_in_use_is_a_one_line_error_and_exit_code_2() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        result = subprocess.run([sys.executable, "-m", "devhost", "--port", str(port), "--app", TINY_APP,
                                 *NO_CHILDREN], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "error" in line.lower()]
    assert errors == [f"devhost: error: port {port} is already in use (functions host); choose another with --port "
                      "(or DEVHOST_PORT=<port>, e.g. for make run)"]


def test_an_unset_binding_setting_is_a_clear_startup_error(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "TINY_SCHEDULE"}
    result = subprocess.run([sys.executable, "-m", "devhost", "--port", "0", "--app", TINY_APP, *NO_CHILDREN],
                            cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
                            env={**env, "TINY_STATE_DIR": str(tmp_path)})
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "devhost: error: app setting 'TINY_SCHEDULE' (used as %TINY_SCHEDULE%) is not set" in result.stderr


def test_demo_posts_every_bundled_alert_to_its_ingestion_route_with_the_key(tmp_path: Path) -> None:
    env = {**TINY_ENV, "TINY_STATE_DIR": str(tmp_path), "INGEST_API_KEY": "demo-key"}
    with run_devhost(TINY_APP, env, args=[*NO_CHILDREN, "--demo"]):
        expected = demo_requests()
        path = tmp_path / "alerts.jsonl"
        wait_for(lambda: path.exists() and len(path.read_text().splitlines()) == len(expected))
    records = [json.loads(line) for line in path.read_text().splitlines()]
    assert {r["key"] for r in records} == {"demo-key"}
    by_route = {route: sum(1 for r in records if r["route"] == route) for route in ("azure-monitor", "databricks")}
    assert by_route == {"azure-monitor": 6, "databricks": 3}
    assert all(r["body"].get("schemaId") == "azureMonitorCommonAlertSchema"
               for r in records if r["route"] == "azure-monitor")
    assert all(r["body"]["event_type"].startswith("jobs.") for r in records if r["route"] == "databricks")


def test_local_settings_fill_in_without_overriding_and_an_empty_key_is_allowed_with_a_warning(
        tmp_path: Path) -> None:
    settings = tmp_path / "local.settings.json"
    settings.write_text(json.dumps({"IsEncrypted": False, "Values": {
        "TINY_GREETING": "from-file", "TINY_OVERRIDDEN": "from-file", "INGEST_API_KEY": ""}}))
    env = {**TINY_ENV, "TINY_STATE_DIR": str(tmp_path), "TINY_OVERRIDDEN": "from-env", "INGEST_API_KEY": None,
           "ENRICH_QUEUE": None, "DEVHOST_LOCAL_USER": "none"}
    with run_devhost(TINY_APP, env, args=[*NO_CHILDREN, "--local-settings", str(settings)]) as handle:
        whoami = requests.get(handle.url("/api/whoami"), timeout=10).json()
        guarded = requests.get(handle.url("/api/guarded"), timeout=10)
        output = handle.output()
    assert whoami == {"principal": None, "greeting": "from-file", "overridden": "from-env",
                      "enrich_queue": "alerts-enrich"}
    assert guarded.status_code == 200 and guarded.text == "ok"
    assert "INGEST_API_KEY is empty" in output


def test_timers_run_on_their_ncrontab_schedule_and_on_startup(tmp_path: Path) -> None:
    with run_devhost(TINY_APP, {**TINY_ENV, "TINY_STATE_DIR": str(tmp_path)}, args=NO_CHILDREN) as handle:
        ticks = tmp_path / "ticks.jsonl"
        wait_for(lambda: ticks.exists() and len(ticks.read_text().splitlines()) >= 2, timeout=6)
        output = handle.output()
    # The yearly schedule can only have fired because of run_on_startup.
    assert [json.loads(line) for line in (tmp_path / "startup.jsonl").read_text().splitlines()] == [
        {"past_due": False}]
    assert "timer */1 * * * * * -> every_second" in output
    assert "timer 0 0 0 1 1 * -> yearly_but_on_startup" in output


def test_sigterm_and_ctrl_c_stop_devhost_and_every_child(state_dir: Path) -> None:
    for stop_signal in (signal.SIGINT, signal.SIGTERM):
        handle = run_devhost("tests.integration.devhost.sample_app:app", sample_env(state_dir),
                             args=["--host-json", str(HERE / "host.json")])
        children = handle.child_pids  # Azurite blob/queue/table, the Service Bus emulator, one queue worker
        assert len(children) == 5 and all(_alive(pid) for pid in children)
        handle.process.send_signal(stop_signal)
        assert handle.process.wait(timeout=20) == 0
        wait_for(lambda pids=children: not any(_alive(pid) for pid in pids), timeout=10)
        assert "Traceback" not in handle.output()


def test_children_die_even_when_devhost_is_killed(tmp_path: Path) -> None:
    handle = run_devhost(TINY_APP, {**TINY_ENV, "TINY_STATE_DIR": str(tmp_path), "AzureWebJobsStorage": None},
                         args=["--no-servicebus"])
    azurite = handle.child_pids  # its blob, queue and table services
    assert len(azurite) == 3 and all(_alive(pid) for pid in azurite)
    handle.process.kill()
    handle.process.wait(timeout=10)
    started = time.monotonic()
    wait_for(lambda: not any(_alive(pid) for pid in azurite), timeout=10)
    assert time.monotonic() - started < 10
