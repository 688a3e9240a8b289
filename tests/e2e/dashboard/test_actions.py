"""Acting on tickets in Chromium: acknowledge, resolve and reopen, seen live by every other open page."""

from __future__ import annotations

import pytest

from .helpers import (
    cell_text,
    databricks_failure,
    post_alert,
    row,
    screenshot,
    unique,
    wait_processed,
    wait_queue_loaded,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_acknowledge_on_the_ticket_page_updates_it_and_a_second_open_page(devhost, open_dashboard) -> None:
    ticket_id = post_alert(devhost, databricks_failure(unique("ack-two-pages")))
    wait_processed(devhost, ticket_id)
    watcher = open_dashboard("#/")  # a second browser (its own context) watching the queue
    wait_queue_loaded(watcher)
    assert cell_text(watcher, ticket_id, "status") == "Open"
    watcher.evaluate("window.__sameDocument = true")

    page = open_dashboard(f"#/tickets/{ticket_id}")
    page.wait_for_selector("#section-root-cause .root-cause")
    page.fill("#action-note", "Looking at the notebook now")
    page.click("button[data-action=acknowledge]")

    page.wait_for_selector(".ticket-meta .badge--status[data-status=acknowledged]", timeout=2000)
    assert page.locator(".action-message").inner_text() == "Acknowledged."
    assert page.locator("button[data-action=acknowledge]").count() == 0
    audit = page.locator("#section-audit .audit li").first
    audit.wait_for()
    assert "Acknowledged" in audit.inner_text() and "Looking at the notebook now" in audit.inner_text()

    watcher.wait_for_function(
        """id => document.querySelector(`tr[data-id="${id}"] td[data-col=status]`)?.textContent === 'Acknowledged'""",
        arg=ticket_id, timeout=2000)
    assert row(watcher, ticket_id).locator("button[data-action=acknowledge]").count() == 0
    assert cell_text(watcher, ticket_id, "sla") == "met"
    assert watcher.evaluate("window.__sameDocument") is True
    screenshot(page, "ticket-acknowledged")


def test_resolve_and_reopen_from_the_ticket_page(devhost, open_dashboard) -> None:
    ticket_id = post_alert(devhost, databricks_failure(unique("resolve-reopen")))
    wait_processed(devhost, ticket_id)
    page = open_dashboard(f"#/tickets/{ticket_id}")
    page.wait_for_selector("button[data-action=resolve]")
    page.click("button[data-action=resolve]")
    page.wait_for_selector(".ticket-meta .badge--status[data-status=resolved]", timeout=2000)
    page.click("button[data-action=reopen]")
    page.wait_for_selector(".ticket-meta .badge--status[data-status=open]", timeout=2000)
    actions = page.locator("#section-audit .audit li strong").all_inner_texts()
    assert actions[:2] == ["Reopened", "Resolved"]


def test_acknowledge_from_a_queue_row(devhost, open_dashboard) -> None:
    job = unique("ack-row")
    ticket_id = post_alert(devhost, databricks_failure(job))
    page = open_dashboard(f"#/?q={job}")
    wait_queue_loaded(page)
    row(page, ticket_id).locator("button[data-action=acknowledge]").click()
    page.wait_for_function(
        """id => document.querySelector(`tr[data-id="${id}"] td[data-col=status]`)?.textContent === 'Acknowledged'""",
        arg=ticket_id, timeout=2000)
    page.locator("#toasts .toast", has_text=f"Acknowledged {ticket_id}").wait_for()
    # Focus was on the button that went away: it lands on the row's ticket link, not on <body>.
    assert page.evaluate("document.activeElement.className") == "ticket-link"
