"""Dashboard browser tests: one devhost (the real function app) and one headless Chromium per session."""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from devhost.testing import PROJECT_ROOT, DevhostHandle, run_devhost
from tests.e2e.running import RUNNING
from tests.fakes_http.databricks_server import DatabricksServer

from .helpers import INGEST_KEY

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1400, "height": 900}
# The views that explain an unknown ticket or address load a 404 on purpose.
EXPECTED_CONSOLE = re.compile(r"Failed to load resource: the server responded with a status of 404")



def _ensure_vendored() -> None:
    """The SignalR client is copied from node_modules at setup (scripts/vendor_web.py); do it if missing."""
    if not (PROJECT_ROOT / "web" / "vendor" / "signalr.min.js").is_file():
        import runpy

        runpy.run_path(str(PROJECT_ROOT / "scripts" / "vendor_web.py"))["vendor_signalr"]()


@pytest.fixture(scope="package")
def databricks() -> Iterator[DatabricksServer]:
    """A fake Databricks workspace holding the failed nightly-sales-etl run, so enrichment finds real traces."""
    with DatabricksServer().with_samples() as server:
        yield server


@pytest.fixture(scope="package")
def devhost(tmp_path_factory: pytest.TempPathFactory, databricks: DatabricksServer) -> Iterator[DevhostHandle]:
    _ensure_vendored()
    env: dict[str, str | None] = {name: None for name in (
        "AzureWebJobsStorage", "ServiceBusConnection", "AzureSignalRConnectionString", "JIRA_BASE_URL",
        "SLACK_BOT_TOKEN", "GEMINI_API_KEY", "ADF_SUBSCRIPTION_ID", "ARM_BASE_URL", "DEVHOST_LOCAL_USER",
        "SLA_SECONDS_P1", "SLA_SECONDS_P2", "SLA_SECONDS_P3", "SLA_SECONDS_P4", "TEAM_RULES")}
    env.update({"INGEST_API_KEY": INGEST_KEY, "DATABRICKS_HOST": databricks.url, "DATABRICKS_TOKEN": databricks.token})
    handle = run_devhost(env=env, args=["--local-settings", str(tmp_path_factory.mktemp("none") / "absent.json")],
                         timeout=90)
    RUNNING.append(handle)
    try:
        yield handle
    finally:
        handle.stop()
        RUNNING.remove(handle)


# Package scope, not session: Playwright's sync API holds an event loop in the main thread until it
# stops, and later suites call asyncio.run().
@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    if not CHROMIUM.is_file():
        reason = f"{CHROMIUM} is missing: install Debian's package with `apt-get install -y chromium`"
        if os.environ.get("REQUIRE_BROWSER") == "1":  # .ci/run: browser tests must run there
            pytest.fail(reason)
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


class PageProblems:
    """Uncaught exceptions, CSP violations and unexpected console errors seen by one page."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.console: list[str] = []

    def watch(self, page: Any) -> None:
        page.on("pageerror", lambda error: self.errors.append(str(error)))
        page.on("console", lambda message: self.console.append(message.text) if message.type == "error" else None)

    def csp_violations(self) -> list[str]:
        return [m for m in self.console if "Content Security Policy" in m]

    def unexpected_console(self) -> list[str]:
        return [m for m in self.console if not EXPECTED_CONSOLE.search(m)]


@pytest.fixture
def open_dashboard(browser: Any, devhost: DevhostHandle) -> Iterator[Callable[..., Any]]:
    """open_dashboard(hash="#/", **context_options) -> a page whose live connection is up."""
    contexts: list[Any] = []
    problems: list[PageProblems] = []

    def open_page(hash: str = "#/", wait_live: bool = True, **options: Any) -> Any:
        options.setdefault("viewport", VIEWPORT)
        context = browser.new_context(base_url=devhost.base_url, accept_downloads=True, **options)
        contexts.append(context)
        page = context.new_page()
        watcher = PageProblems()
        watcher.watch(page)
        problems.append(watcher)
        page.problems = watcher
        page.goto("/" + hash)
        if wait_live:
            page.wait_for_selector("#connection[data-state=live]", timeout=10_000)
        return page

    yield open_page
    for context in contexts:
        context.close()
    for watcher in problems:
        assert not watcher.errors, f"uncaught page errors: {watcher.errors}"
        assert not watcher.csp_violations(), f"CSP violations: {watcher.csp_violations()}"
