"""The ticket page and the overview in Chromium, with screenshots of each view."""

from __future__ import annotations

import json

import pytest

from .helpers import SAMPLES, api, databricks_failure, post_alert, screenshot, unique, wait_processed

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_the_ticket_page_shows_what_failed_why_and_what_to_do(devhost, open_dashboard) -> None:
    # The fake Databricks workspace knows this run, so enrichment brings back its failed task and trace.
    webhook = json.loads((SAMPLES / "databricks_webhook/derived_job_run_failure_realistic.json").read_text())
    ticket_id = post_alert(devhost, ("alerts/databricks", webhook))
    ticket = wait_processed(devhost, ticket_id)
    assert ticket["enrichment"]["failed_steps"], ticket["enrichment"]

    page = open_dashboard(f"#/tickets/{ticket_id}")
    page.wait_for_selector("#section-root-cause .root-cause")
    assert page.locator("h1").inner_text() == ticket["title"]
    # What broke comes first, whole: the error (here the one fetched from the workspace) and its run.
    assert page.locator("#section-failure pre.error-message").inner_text() == ticket["error_message"]
    failure_facts = page.locator("#section-failure dl.facts").inner_text()
    assert ticket["run_id"] in failure_facts and ticket["job"] in failure_facts and ticket["error_code"] in failure_facts
    assert page.locator("#section-root-cause .root-cause").inner_text() == ticket["rca"]["root_cause"]
    assert page.locator("#section-recommendations li").all_inner_texts() == ticket["rca"]["recommendations"]

    steps = page.locator("#section-steps details.step")
    assert steps.count() == len(ticket["enrichment"]["failed_steps"])
    first = ticket["enrichment"]["failed_steps"][0]
    assert steps.first.get_attribute("open") is not None  # the first failure is shown expanded
    if first.get("error_trace"):
        assert page.locator("#section-steps pre.trace").first.inner_text() == first["error_trace"]
    steps.first.locator("summary").focus()
    page.keyboard.press("Enter")  # collapsible from the keyboard
    assert steps.first.get_attribute("open") is None
    page.keyboard.press("Enter")

    run_link = page.locator("#section-links a", has_text="Databricks run")
    assert run_link.get_attribute("href").startswith("https://adb-")
    assert run_link.get_attribute("rel") == "noopener noreferrer"
    assert page.locator("#section-audit .audit li").count() == len(ticket["audit"])

    again = api(devhost, "alerts/databricks", "POST", webhook, headers={"x-functions-key": "e2e-dashboard-ingest-key"})
    assert again["results"][0]["status"] == "duplicate"
    page.wait_for_function("() => document.querySelector('#section-occurrences dd')?.textContent === '2'", timeout=3000)
    assert page.locator("#section-occurrences circle").count() == 2
    assert steps.first.get_attribute("open") is not None, "a live refresh must not collapse what the reader opened"
    screenshot(page, "ticket")


def test_the_overview_shows_open_work_response_times_and_trends(devhost, open_dashboard) -> None:
    post_alert(devhost, databricks_failure(unique("overview")))
    page = open_dashboard("#/overview")
    page.wait_for_selector(".kpi")
    summary = api(devhost, "summary?days=14")
    open_total = sum(summary["open_by_priority"].values())
    assert page.locator(".kpi[data-kpi=open] .kpi-value").inner_text() == str(open_total)
    assert page.locator(".kpi").count() == 6
    captions = page.locator(".chart figcaption").all_inner_texts()
    assert captions == ["Tickets per day by category", "MTTR trend (daily mean)", "Top recurring failures",
                        "Tickets by team"]
    assert page.locator(".chart").first.locator("rect").count() >= 1
    assert page.locator("[data-nav=overview]").get_attribute("aria-current") == "page"
    page.select_option("#overview-days", "30")
    page.wait_for_function("() => location.hash === '#/overview?days=30'")
    page.wait_for_selector(".overview:not([aria-busy]) .kpi")
    screenshot(page, "overview")


def test_unknown_addresses_and_tickets_explain_themselves(open_dashboard) -> None:
    page = open_dashboard("#/no/such/view")
    assert page.locator("h1").inner_text() == "Page not found"
    page.goto("/#/tickets/T20000101-000000-FFFF")
    page.wait_for_selector("h1:text('Ticket not found')")
    assert "Could not load this ticket" in page.locator(".panel--error").inner_text()
    page.goto("/#/?source=bogus")  # a bad filter in a shared link: say which, and what it accepts
    page.wait_for_selector(".panel--error li")
    problem = page.locator(".panel--error li").first.inner_text()
    assert problem.startswith("source:") and "databricks_job" in problem
