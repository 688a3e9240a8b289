"""Dashboard bench: with N tickets in Azurite, time to the first queue page and to the overview in Chromium, and
the page's JS heap after a minute of live updates. Prints one JSON line (and appends it to bench/results/).

    .venv/bin/python bench/dashboard.py [--tickets 5000] [--live-seconds 60] [--screenshot docs/images/dashboard.png]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from devhost.testing import DevhostHandle, run_devhost  # noqa: E402
from shared.rca.model import Category, RcaResult, RcaSource, Severity, severity_to_priority  # noqa: E402
from shared.tickets import Stage, Ticket, TicketStatus, new_ticket_id  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
INGEST_KEY = "bench-dashboard-key"
SLA_SECONDS = {"P1": 900, "P2": 1800, "P3": 7200, "P4": 86400}
TEAMS = ["data-platform", "finance-analytics", "marketing-data", "ml-platform", "unassigned"]
SOURCES = [("adf", "pipeline"), ("databricks_job", "job"), ("synapse", "pipeline"), ("databricks_cluster", None)]
SEVERITIES = [Severity.CRITICAL, Severity.HIGH, Severity.MEDIUM, Severity.MEDIUM, Severity.LOW]
# Records when the first queue row / overview chart is in the DOM, measured from navigation start.
MARK_RENDER = """
new MutationObserver((records, observer) => {
  if (!window.__queueAt && document.querySelector('table.queue tbody tr[data-id]')) window.__queueAt = performance.now();
  if (!window.__overviewAt && document.querySelector('.overview .chart')) window.__overviewAt = performance.now();
}).observe(document, { childList: true, subtree: true });
"""


def synthetic_ticket(index: int, now: datetime, rng: random.Random) -> Ticket:
    """A plausible ticket from the last 30 days: older ones mostly resolved, recent ones mostly open."""
    created = now - timedelta(seconds=rng.uniform(60, 30 * 86400))
    age_days = (now - created).total_seconds() / 86400
    source, kind = rng.choice(SOURCES)
    subject = f"{'PL_' if kind == 'pipeline' else 'job-'}{rng.choice(['sales', 'orders', 'hr', 'iot', 'crm'])}_{index % 97}"
    severity = rng.choice(SEVERITIES)
    priority = severity_to_priority(severity)
    category = rng.choice(list(Category))
    rca = RcaResult(category=category, error_type=f"{category.value.title().replace('_', '')}Error",
                    root_cause=f"Synthetic root cause {index} ({category.value}).", severity=severity, priority=priority,
                    confidence=rng.uniform(0.4, 0.95), recommendations=["Check the run output.", "Rerun the job."],
                    source=RcaSource.CATALOG, fingerprint=f"fp-{category.value}-{index % 23}")
    due = created + timedelta(seconds=SLA_SECONDS[priority])
    acknowledged = created + timedelta(seconds=rng.uniform(60, SLA_SECONDS[priority] * 1.3)) \
        if age_days > 0.2 or rng.random() < 0.3 else None
    resolved = acknowledged + timedelta(seconds=rng.uniform(600, 6 * 3600)) \
        if acknowledged and (age_days > 1 or rng.random() < 0.3) else None
    status = TicketStatus.RESOLVED if resolved else TicketStatus.ACKNOWLEDGED if acknowledged else TicketStatus.OPEN
    sla_status = ("met" if acknowledged <= due else "breached") if acknowledged else \
        ("breached" if due < now else "pending")
    dedup_key = f"bench:{source}:{index}"
    return Ticket(id=new_ticket_id(dedup_key, created), dedup_key=dedup_key, status=status, stage=Stage.NOTIFIED,
                  priority=priority, severity=severity.value, source=source, title=f"{subject} failed",
                  pipeline=subject if kind == "pipeline" else None, job=subject if kind == "job" else None,
                  resource=subject if kind is None else None, run_id=str(10**12 + index),
                  occurrences=rng.choice([1, 1, 1, 2, 3, 8]), first_seen_at=created, last_seen_at=created,
                  created_at=created, acknowledged_at=acknowledged, resolved_at=resolved, sla_due_at=due,
                  sla_status=sla_status, rca=rca, team=rng.choice(TEAMS))


def seed(connection: str, count: int) -> float:
    """Write `count` tickets straight into the store devhost reads (the repository's own Table adapter)."""
    from azure.data.tables import TableServiceClient
    from azure.storage.blob import BlobServiceClient

    from shared.adapters.table_ticket_store import TableTicketStore
    from shared.bootstrap import ensure_storage

    tables = TableServiceClient.from_connection_string(connection)
    ensure_storage(tables, BlobServiceClient.from_connection_string(connection))
    store = TableTicketStore(tables)
    rng, now = random.Random(7), datetime.now(UTC)
    tickets = [synthetic_ticket(i, now, rng) for i in range(count)]
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=16) as pool:
        created = sum(pool.map(store.create, tickets))
    if created != count:
        raise RuntimeError(f"seeded {created} of {count} tickets (id collision?)")
    return time.perf_counter() - started


def timed_view(browser: Any, base_url: str, hash: str, mark: str, ready: str, api: str) -> tuple[float, float]:
    """Milliseconds from navigation start until the view's first content was in the DOM, and how long of that
    the API request whose URL contains `api` took (so the figure says where the time goes)."""
    context = browser.new_context(base_url=base_url, viewport={"width": 1400, "height": 900})
    context.add_init_script(MARK_RENDER)
    page = context.new_page()
    page.goto("/" + hash)
    page.wait_for_selector(ready, timeout=60_000)
    page.wait_for_function(f"() => window.{mark} !== undefined")
    value = float(page.evaluate(f"window.{mark}"))
    api_ms = float(page.evaluate("part => Math.max(0, ...performance.getEntriesByType('resource')"
                                 ".filter(e => e.name.includes(part)).map(e => e.duration))", api))
    context.close()
    return value, api_ms


def heap_mb(cdp: Any) -> float:
    cdp.send("HeapProfiler.collectGarbage")
    return round(cdp.send("Runtime.getHeapUsage")["usedSize"] / 2**20, 2)


def feed_live_updates(host: DevhostHandle, seconds: float, stop: threading.Event) -> dict[str, int]:
    """Each second: two new failures, two repeats of earlier ones and one acknowledgement, through the real API."""
    import urllib.request

    sent = {"alerts": 0, "repeats": 0, "acks": 0}
    ids: list[str] = []

    def call(path: str, body: dict[str, Any]) -> Any:
        request = urllib.request.Request(host.url(path), data=json.dumps(body).encode(), method="POST",
                                         headers={"Content-Type": "application/json", "x-functions-key": INGEST_KEY})
        with urllib.request.urlopen(request, timeout=30) as response:
            return json.loads(response.read())

    deadline, n = time.monotonic() + seconds, 0
    while time.monotonic() < deadline and not stop.is_set():
        tick = time.monotonic()
        for _ in range(2):
            n += 1
            alert = {"event_type": "jobs.on_failure", "workspace_id": "42", "run": {"run_id": str(900000 + n)},
                     "job": {"job_id": str(n % 7), "name": f"live-job-{n % 7}"}}
            ids.append(call("/api/alerts/databricks", alert)["results"][0]["ticket_id"])
            sent["alerts"] += 1
        for _ in range(2):
            old = random.randint(1, n)
            call("/api/alerts/databricks", {"event_type": "jobs.on_failure", "workspace_id": "42",
                                            "run": {"run_id": str(900000 + old)},
                                            "job": {"job_id": str(old % 7), "name": f"live-job-{old % 7}"}})
            sent["repeats"] += 1
        if len(ids) > 4:
            call(f"/api/tickets/{ids.pop(0)}/acknowledge", {"note": "bench"})
            sent["acks"] += 1
        time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
    return sent


def save_screenshot(browser: Any, base_url: str, path: Path) -> None:
    """The queue as a newcomer sees it: the newest of the seeded tickets, live countdowns running."""
    page = browser.new_page(base_url=base_url, viewport={"width": 1400, "height": 820})
    page.goto("/#/")
    page.wait_for_selector("#connection[data-state=live]", timeout=30_000)
    page.wait_for_selector("table.queue:not([aria-busy]) tbody tr[data-id]")
    path.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(path))
    page.close()


def live_heap(browser: Any, host: DevhostHandle, seconds: float) -> dict[str, Any]:
    context = browser.new_context(base_url=host.base_url, viewport={"width": 1400, "height": 900})
    page = context.new_page()
    frames = {"ticketChanged": 0}
    page.on("websocket", lambda ws: ws.on("framereceived", lambda payload: frames.__setitem__(
        "ticketChanged", frames["ticketChanged"] + str(payload).count('"ticketChanged"'))))
    page.goto("/#/")
    page.wait_for_selector("#connection[data-state=live]", timeout=30_000)
    page.wait_for_selector("table.queue:not([aria-busy]) tbody tr[data-id]")
    cdp = context.new_cdp_session(page)
    before = heap_mb(cdp)
    sent = feed_live_updates(host, seconds, threading.Event())
    page.wait_for_timeout(3000)  # let the last pipeline events arrive
    after = heap_mb(cdp)
    result = {"heap_before_live_mb": before, "heap_after_live_mb": after, "live_seconds": seconds,
              "live_events_received": frames["ticketChanged"], "live_requests": sent,
              "dom_nodes": page.evaluate("document.getElementsByTagName('*').length"),
              "queue_rows": page.evaluate("document.querySelectorAll('table.queue tr[data-id]').length")}
    context.close()
    return result


def figures(name: str, runs: list[tuple[float, float]]) -> dict[str, int]:
    """Median of the warm runs, the first (cold) run, and the API's share of the warm median."""
    warm = runs[1:]
    return {f"{name}_ms": round(statistics.median(r[0] for r in warm)), f"{name}_cold_ms": round(runs[0][0]),
            f"{name}_api_ms": round(statistics.median(r[1] for r in warm))}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--live-seconds", type=float, default=60)
    parser.add_argument("--runs", type=int, default=5, help="measured page loads per view (after one warm-up)")
    parser.add_argument("--screenshot", type=Path, default=None, help="save the live queue as a PNG here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT / "scripts"))
    from vendor_web import vendor_signalr

    vendor_signalr()
    from playwright.sync_api import sync_playwright

    host = run_devhost(env={"INGEST_API_KEY": INGEST_KEY, "AzureWebJobsStorage": None, "ServiceBusConnection": None,
                            "AzureSignalRConnectionString": None, "DEVHOST_LOCAL_USER": None,
                            "DEVHOST_LOG_LEVEL": "WARNING"},
                       args=["--local-settings", str(ROOT / "bench" / "no-local.settings.json")], timeout=90)
    try:
        seed_seconds = seed(str(host.settings["AzureWebJobsStorage"]), args.tickets)
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            queue = [timed_view(browser, host.base_url, "#/", "__queueAt", "table.queue tbody tr[data-id]",
                                "/api/tickets?") for _ in range(args.runs + 1)]
            overview = [timed_view(browser, host.base_url, "#/overview", "__overviewAt", ".overview .chart",
                                   "/api/summary") for _ in range(args.runs + 1)]
            if args.screenshot:
                save_screenshot(browser, host.base_url, args.screenshot)
            live = live_heap(browser, host, args.live_seconds)
            version = browser.version
            browser.close()
    finally:
        host.stop()
    result = {"bench": "dashboard", "tickets": args.tickets, "seed_seconds": round(seed_seconds, 1),
              **figures("queue_first_page", queue), **figures("overview", overview),
              **live, "chromium": version, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    line = json.dumps(result)
    print(line)
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    with open(results / "dashboard.jsonl", "a", encoding="utf-8") as handle:
        handle.write(line + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
