"""The queue in Chromium through devhost: rendering, one shared timer, live arrivals, P1/P2 toasts, reconnects."""

from __future__ import annotations

import re
import time

import pytest

from .helpers import (
    adf_failure_sev1,
    cell_text,
    databricks_failure,
    post_alert,
    queue_ids,
    row,
    screenshot,
    unique,
    wait_for,
    wait_queue_loaded,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNT_INTERVALS = """
window.__intervals = 0;
const realSetInterval = window.setInterval;
window.setInterval = function (...args) { window.__intervals += 1; return realSetInterval.apply(this, args); };
"""


def test_the_queue_renders_newest_first_with_every_column(devhost, open_dashboard) -> None:
    older = post_alert(devhost, databricks_failure(unique("render-older")))
    time.sleep(0.02)  # the list orders by creation millisecond (then id): a later one must come first
    job = unique("render-newer")
    newer = post_alert(devhost, databricks_failure(job))
    page = open_dashboard("#/")
    wait_queue_loaded(page)

    ids = queue_ids(page)
    assert ids.index(newer) < ids.index(older)
    headers = page.eval_on_selector_all("table.queue thead th", "cells => cells.map(c => c.textContent)")
    assert headers == ["Priority", "Status", "SLA", "Ticket", "Source", "Pipeline / job", "Category", "Team", "Age",
                       "Seen", "Actions"]
    assert cell_text(page, newer, "priority") == "P3"
    assert cell_text(page, newer, "status") == "Open"
    assert cell_text(page, newer, "source") == "Databricks job"
    assert cell_text(page, newer, "subject") == job
    assert cell_text(page, newer, "occurrences") == "1"
    assert re.fullmatch(r"\d+(:\d\d){1,2}", cell_text(page, newer, "sla")), cell_text(page, newer, "sla")
    assert page.locator("#connection").get_attribute("data-state") == "live"
    assert page.locator("#connection").inner_text().strip() == "Live"
    screenshot(page, "queue")


def test_every_countdown_runs_on_one_shared_timer(devhost, open_dashboard, browser) -> None:
    for _ in range(3):
        post_alert(devhost, databricks_failure(unique("timer")))
    page = open_dashboard("#/", wait_live=False)
    page.context.add_init_script(COUNT_INTERVALS)
    page.reload()
    page.wait_for_selector("#connection[data-state=live]")
    wait_queue_loaded(page)
    live = page.locator("table.queue .sla--live")
    assert live.count() >= 3
    before = live.first.inner_text()
    wait_for(lambda: live.first.inner_text() != before, timeout=3, what="the countdown to tick")
    assert page.evaluate("window.__intervals") == 1


def test_a_new_alert_appears_without_reload_within_two_seconds(devhost, open_dashboard) -> None:
    page = open_dashboard("#/")
    wait_queue_loaded(page)
    page.evaluate("window.__sameDocument = true")
    list_requests: list[str] = []
    page.on("request", lambda r: list_requests.append(r.url) if "/api/tickets?" in r.url else None)

    started = time.monotonic()
    ticket_id = post_alert(devhost, databricks_failure(unique("live-arrival")))
    row(page, ticket_id).wait_for(timeout=2000)
    elapsed = time.monotonic() - started

    assert elapsed < 2.0
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert queue_ids(page)[0] == ticket_id
    assert list_requests == [], "the row should come from the SignalR event, not a re-fetch"
    assert "Showing" in page.locator("#queue-status").inner_text()


def test_a_new_p2_ticket_raises_a_toast_with_a_link(devhost, open_dashboard) -> None:
    page = open_dashboard("#/")
    wait_queue_loaded(page)
    pipeline = unique("PL_Urgent")
    ticket_id = post_alert(devhost, adf_failure_sev1(pipeline))
    toast = page.locator("#toasts .toast", has_text=pipeline)
    toast.wait_for(timeout=3000)
    assert page.locator("#toasts").get_attribute("role") == "status"
    assert re.match(r"New P[12] ticket", toast.locator(".toast-title").inner_text())
    assert toast.locator("a").get_attribute("href") == f"#/tickets/{ticket_id}"
    screenshot(page, "queue-toast")


def test_after_the_signalr_endpoint_restarts_the_page_reconnects_and_catches_up(devhost, open_dashboard) -> None:
    page = open_dashboard("#/")
    wait_queue_loaded(page)
    dropped = devhost.restart_signalr(down_seconds=3.0)
    assert dropped >= 1
    page.wait_for_selector("#connection:not([data-state=live])", timeout=3000)
    assert devhost.signalr_connections() == 0  # so the event below reaches nobody
    missed = post_alert(devhost, databricks_failure(unique("while-offline")))
    urgent_pipeline = unique("PL_Urgent_Offline")
    urgent = post_alert(devhost, adf_failure_sev1(urgent_pipeline))  # a P1/P2 whose live event is lost

    page.wait_for_selector("#connection[data-state=live]", timeout=15_000)
    row(page, missed).wait_for(timeout=5000)
    toast = page.locator("#toasts .toast", has_text=urgent_pipeline)
    toast.wait_for(timeout=5000)  # announced on catch-up all the same
    assert toast.locator("a").get_attribute("href") == f"#/tickets/{urgent}"
    after = post_alert(devhost, databricks_failure(unique("after-reconnect")))
    row(page, after).wait_for(timeout=2000)  # and live events flow again
    assert queue_ids(page)[:3] == [after, urgent, missed]


def test_on_a_phone_the_queue_is_cards_that_fit_the_screen(devhost, open_dashboard) -> None:
    ticket_id = post_alert(devhost, databricks_failure(unique("phone")))
    page = open_dashboard("#/", viewport={"width": 375, "height": 800}, is_mobile=True)
    wait_queue_loaded(page)
    page.wait_for_selector(f"tr[data-id='{ticket_id}']")
    assert page.evaluate("document.documentElement.scrollWidth") <= 375  # nothing scrolls sideways
    card = row(page, ticket_id)
    title = card.locator("a.ticket-link")
    box, card_box = title.bounding_box(), card.bounding_box()
    assert box and card_box and box["x"] >= card_box["x"] and box["x"] + box["width"] <= card_box["x"] + card_box["width"] + 1
    assert title.inner_text() and box["y"] <= card.locator("td[data-col=priority]").bounding_box()["y"]  # title first
    screenshot(page, "queue-phone")
