"""The ADF description and comments are documents Jira accepts, and the fake rejects what Jira rejects."""

from __future__ import annotations

import json
from typing import Any

import pytest

from shared.notify.jira_document import build_description, comment_document
from tests.fakes_http.jira_server import validate_adf
from tests.unit.notify.notify_samples import DASHBOARD, build_ticket


def nodes(doc: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    found = [doc] if doc.get("type") == kind else []
    for child in doc.get("content", []):
        found += nodes(child, kind)
    return found


def texts(node: dict[str, Any]) -> str:
    return "".join(n["text"] for n in nodes(node, "text"))


def test_description_is_valid_adf_with_error_root_cause_steps_and_links() -> None:
    doc = build_description(build_ticket(), DASHBOARD)
    validate_adf(doc)
    assert doc["type"] == "doc" and doc["version"] == 1
    assert [texts(h) for h in nodes(doc, "heading")] == ["Error", "Root cause", "Recommendations", "Details", "Links"]
    assert all(h["attrs"]["level"] == 2 for h in nodes(doc, "heading"))
    assert "The required Blob is missing" in texts(nodes(doc, "codeBlock")[0])
    steps = nodes(doc, "orderedList")[0]["content"]
    assert [texts(s) for s in steps] == ["Check that the upstream export job finished and wrote the file.",
                                         "Re-run PL_Ingest_Sales once the file exists."]
    hrefs = [m["attrs"]["href"] for t in nodes(doc, "text") for m in t.get("marks", []) if m["type"] == "link"]
    assert f"{DASHBOARD}/#/tickets/T20261204-030000-3F9A" in hrefs
    assert "https://adf.azure.com/en/monitoring/pipelineruns/7a3c9e21" in hrefs
    assert not any("api.loganalytics.io" in h for h in hrefs)  # API links are not for humans


def test_bare_ticket_still_makes_a_valid_document() -> None:
    bare = build_ticket(rca=None, error_message=None, error_code=None, links={}, title="", activity=None)
    doc = build_description(bare, DASHBOARD)
    validate_adf(doc)
    assert "The alert carried no error message." in texts(doc)
    assert "Not analysed yet." in texts(doc)


def test_untrusted_links_and_huge_text_stay_within_jira_limits() -> None:
    ticket = build_ticket(error_message="x" * 100_000, links={"run_page": "javascript:alert(1)"})
    ticket.rca.recommendations = ["step " * 500] * 10
    doc = build_description(ticket, DASHBOARD)
    validate_adf(doc)
    assert len(json.dumps(doc)) < 32767
    assert "javascript:" not in json.dumps(doc)


def test_multiline_text_becomes_hard_breaks_not_empty_text_nodes() -> None:
    ticket = build_ticket()
    ticket.rca.root_cause = "line one\n\nline three\n"
    doc = build_description(ticket, DASHBOARD)
    validate_adf(doc)
    assert nodes(doc, "hardBreak")


def test_comment_is_an_adf_document() -> None:
    doc = comment_document("Acknowledged by ana via dashboard: on it\n\nsecond paragraph")
    validate_adf(doc)
    assert len(doc["content"]) == 2
    validate_adf(comment_document(""))


@pytest.mark.parametrize("bad, complaint", [
    ({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": ""}]}]},
     "non-empty"),
    ({"type": "doc", "version": 1, "content": ["raw string"]}, "raw str"),
    ({"type": "doc", "version": 1, "content": [{"type": "heading", "content": [{"type": "text", "text": "x"}]}]},
     "attrs.level"),
    ({"type": "doc", "version": 1, "content": [{"type": "codeBlock", "content": [
        {"type": "text", "text": "x", "marks": [{"type": "strong"}]}]}]}, "cannot have marks"),
    ({"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [
        {"type": "text", "text": "x", "marks": [{"type": "link", "attrs": {}}]}]}]}, "href"),
    ({"type": "doc", "version": 1, "content": [{"type": "orderedList", "content": [{"type": "paragraph"}]}]},
     "not allowed"),
    ({"type": "doc", "version": 1, "content": [{"type": "table"}]}, "not allowed"),
    ({"type": "doc", "content": []}, "version 1"),
])
def test_fake_rejects_what_jira_rejects(bad: dict[str, Any], complaint: str) -> None:
    with pytest.raises(AssertionError, match=complaint):
        validate_adf(bad)
