"""Keyboard-only use, labelled controls, AA contrast in light and dark, on every view of the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .helpers import databricks_failure, post_alert, screenshot, unique, wait_processed, wait_queue_loaded

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAGE_CHECKS = (Path(__file__).parent / "page_checks.js").read_text(encoding="utf-8")
FOCUSED = """() => { const e = document.activeElement; return {
  tag: e.tagName.toLowerCase(), id: e.id || null, cls: e.getAttribute('class'), action: e.dataset.action || null,
  nav: e.dataset.nav || null, text: (e.getAttribute('aria-label') || e.textContent || '').trim().slice(0, 50),
  outline: getComputedStyle(e).outlineStyle }; }"""


def _tab_until(page: Any, wanted: str, shift: bool = False, limit: int = 80) -> dict[str, Any]:
    """Press Tab (or Shift+Tab) until document.activeElement matches the CSS selector `wanted`."""
    for _ in range(limit):
        page.keyboard.press("Shift+Tab" if shift else "Tab")
        if page.evaluate("s => document.activeElement.matches(s)", wanted):
            return dict(page.evaluate(FOCUSED))
    raise AssertionError(f"keyboard focus never reached {wanted}")


def _tab_cycle(page: Any, limit: int = 80) -> list[dict[str, Any]]:
    """Every element Tab visits from the top of the page until focus comes round to the skip link again."""
    page.evaluate("document.activeElement.blur()")
    visited: list[dict[str, Any]] = []
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = dict(page.evaluate(FOCUSED))
        if visited and focused["cls"] == "skip-link":
            break
        if focused["tag"] != "body":
            visited.append(focused)
    return visited


def test_keyboard_alone_reaches_every_action(devhost, open_dashboard) -> None:
    job = unique("keyboard")
    ticket_id = post_alert(devhost, databricks_failure(job))
    wait_processed(devhost, ticket_id)
    page = open_dashboard(f"#/?q={job}")
    wait_queue_loaded(page)

    visited = _tab_cycle(page)
    ids = {v["id"] for v in visited}
    assert {"filter-q", "filter-status", "filter-priority", "filter-source", "filter-category", "filter-team",
            "page-size"} <= ids
    assert [v["nav"] for v in visited if v["nav"]] == ["queue", "overview"]
    texts = [v["text"] for v in visited]
    assert "Skip to content" in texts and "Clear filters" in texts and "Export CSV" in texts
    assert f"Acknowledge {ticket_id}" in texts
    assert all(v["outline"] != "none" for v in visited), [v for v in visited if v["outline"] == "none"]

    _tab_until(page, ".ticket-link")
    page.keyboard.press("Enter")
    page.wait_for_selector("#section-root-cause .root-cause")
    assert page.evaluate("document.activeElement.tagName") == "H1"  # focus follows the navigation

    _tab_until(page, "button[data-action=acknowledge]")
    page.keyboard.press("Enter")
    page.wait_for_selector(".ticket-meta .badge--status[data-status=acknowledged]")
    assert page.evaluate("document.activeElement.className") == "action-message"
    _tab_until(page, "button[data-action=resolve]", shift=True)
    page.keyboard.press("Enter")
    page.wait_for_selector(".ticket-meta .badge--status[data-status=resolved]")
    _tab_until(page, "button[data-action=reopen]", shift=True)
    page.keyboard.press("Space")
    page.wait_for_selector(".ticket-meta .badge--status[data-status=open]")
    _tab_until(page, "#section-occurrences summary")  # chart data tables open from the keyboard too
    page.keyboard.press("Enter")
    assert page.locator("#section-occurrences details[open] table").count() == 1

    _tab_until(page, "[data-nav=overview]", shift=True)
    page.keyboard.press("Enter")
    page.wait_for_selector(".kpi")
    _tab_until(page, "#overview-days")
    _tab_until(page, ".chart-data summary")

    page.keyboard.press("Escape")
    _tab_until(page, ".skip-link", shift=True)
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    page.goto(f"/#/?q={job}")
    wait_queue_loaded(page)
    page.keyboard.press("/")  # the search shortcut
    assert page.evaluate("document.activeElement.id") == "filter-q"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_view_is_labelled_and_has_aa_contrast(devhost, open_dashboard, scheme: str) -> None:
    job = unique(f"contrast-{scheme}")
    ticket_id = post_alert(devhost, databricks_failure(job))
    wait_processed(devhost, ticket_id)
    page = open_dashboard("#/", color_scheme=scheme)
    wait_queue_loaded(page)
    page.wait_for_timeout(2100)  # let the live-row highlight fade
    assert page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") is (scheme == "dark")
    views = {"queue": "#/", "ticket": f"#/tickets/{ticket_id}", "overview": "#/overview"}
    ready = {"queue": "table.queue:not([aria-busy]) tr[data-id]", "ticket": "#section-root-cause .root-cause",
             "overview": ".overview:not([aria-busy]) .kpi"}
    for name, hash in views.items():
        page.evaluate("h => { location.hash = h; }", hash)
        page.wait_for_selector(ready[name])
        result = page.evaluate(PAGE_CHECKS)
        assert result["unnamedControls"] == [], (name, result["unnamedControls"])
        assert result["contrastFailures"] == [], (name, scheme, result["contrastFailures"])
        screenshot(page, f"{name}-{scheme}")


def test_the_page_checks_catch_poor_contrast_and_unnamed_controls(open_dashboard) -> None:
    page = open_dashboard("#/no-such-view", wait_live=False)
    page.wait_for_selector("h1")
    page.evaluate("""() => {
      const faint = document.createElement('p'); faint.textContent = 'faint'; faint.style.color = '#c8c8c8';
      faint.style.background = '#ffffff'; document.querySelector('main').append(faint);
      const bare = document.createElement('button'); document.querySelector('main').append(bare);
    }""")
    result = page.evaluate(PAGE_CHECKS)
    assert [f["text"] for f in result["contrastFailures"]] == ["faint"]
    assert len(result["unnamedControls"]) == 1
