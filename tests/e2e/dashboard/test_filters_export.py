"""Filters and search narrow the queue and live in the URL; the CSV download holds exactly the filtered tickets."""

from __future__ import annotations

import csv
import io
from urllib.parse import parse_qs

import pytest

from .helpers import adf_failure_sev1, databricks_failure, post_alert, queue_ids, row, unique, wait_queue_loaded

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _hash_query(page) -> dict[str, list[str]]:
    fragment = page.evaluate("location.hash")
    return parse_qs(fragment.split("?", 1)[1]) if "?" in fragment else {}


def _wait_ids(page, expected: set[str]) -> None:
    page.wait_for_function("ids => { const shown = [...document.querySelectorAll('table.queue tbody tr[data-id]')]"
                           ".map(r => r.dataset.id).sort(); return JSON.stringify(shown) === JSON.stringify(ids); }",
                           arg=sorted(expected), timeout=5000)


@pytest.fixture
def tagged(devhost) -> dict[str, str]:
    """Three tickets sharing a tag (two Databricks jobs, one ADF pipeline) and one that does not share it."""
    tag = unique("flt")
    return {"tag": tag, "other": post_alert(devhost, databricks_failure(unique("other"))),
            "alpha": post_alert(devhost, databricks_failure(f"{tag}-alpha")),
            "beta": post_alert(devhost, databricks_failure(f"{tag}-beta")),
            "gamma": post_alert(devhost, adf_failure_sev1(f"{tag}_gamma"))}


def test_filters_and_search_narrow_the_list_and_are_kept_in_the_url(devhost, open_dashboard, tagged) -> None:
    tag = tagged["tag"]
    page = open_dashboard("#/")
    wait_queue_loaded(page)
    assert tagged["other"] in queue_ids(page)
    page.fill("#filter-q", tag)
    page.wait_for_function("() => location.hash.includes('q=')")
    assert _hash_query(page)["q"] == [tag]
    _wait_ids(page, {tagged["alpha"], tagged["beta"], tagged["gamma"]})

    page.select_option("#filter-source", "databricks_job")
    assert _hash_query(page)["source"] == ["databricks_job"]
    _wait_ids(page, {tagged["alpha"], tagged["beta"]})

    page.fill("#filter-q", f"{tag}-alpha")
    page.wait_for_function("q => location.hash.includes(q)", arg=f"q={tag}-alpha")
    _wait_ids(page, {tagged["alpha"]})

    page.reload()  # the URL alone brings the same view back
    wait_queue_loaded(page)
    assert page.input_value("#filter-q") == f"{tag}-alpha"
    assert page.input_value("#filter-source") == "databricks_job"
    assert queue_ids(page) == [tagged["alpha"]]

    page.wait_for_selector("#connection[data-state=live]")
    late = post_alert(devhost, databricks_failure(f"{tag}-alpha-late"))
    elsewhere = post_alert(devhost, databricks_failure(unique("unrelated")))
    row(page, late).wait_for(timeout=2000)  # a matching arrival joins the filtered list live
    assert elsewhere not in queue_ids(page)

    page.go_back()  # the source filter was a history step; typing in search was not
    page.wait_for_function("() => document.querySelector('#filter-source').value === ''")


def test_the_csv_download_holds_the_filtered_tickets(devhost, open_dashboard, tagged) -> None:
    page = open_dashboard(f"#/?q={tagged['tag']}&source=databricks_job")
    wait_queue_loaded(page)
    shown = set(queue_ids(page))
    assert shown == {tagged["alpha"], tagged["beta"]}
    with page.expect_download() as info:
        page.click("text=Export CSV")
    download = info.value
    assert download.suggested_filename.endswith(".csv")
    with open(download.path(), encoding="utf-8") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read())))
    assert {r["id"] for r in rows} == shown
    assert all(r["source"] == "databricks_job" and tagged["tag"] in r["job"] for r in rows)


def test_paging_walks_older_and_newer_pages_from_the_server(devhost, open_dashboard) -> None:
    tag = unique("page")
    created = [post_alert(devhost, databricks_failure(f"{tag}-{i}")) for i in range(5)]
    page = open_dashboard(f"#/?q={tag}&limit=2")
    wait_queue_loaded(page)
    first = queue_ids(page)
    assert len(first) == 2 and page.is_disabled("text=Newer")
    seen = list(first)
    for expected in (2, 1):
        page.click("text=Older")
        page.wait_for_function("() => location.hash.includes('cursor=')")
        wait_queue_loaded(page)
        assert len(queue_ids(page)) == expected
        seen += queue_ids(page)
    assert sorted(seen) == sorted(created) and page.is_disabled("text=Older")
    assert page.locator(".page-label").inner_text() == "Page 3"
    page.click("text=Newer")
    wait_queue_loaded(page)
    assert queue_ids(page) == seen[2:4]
    page.go_back()  # back to page 3, through the URL's cursor
    wait_queue_loaded(page)
    assert queue_ids(page) == seen[4:]
