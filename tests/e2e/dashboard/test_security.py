"""Security of the static site: CSP and routes in staticwebapp.config.json, escaping, roles from the SWA principal."""

from __future__ import annotations

import re
import subprocess
from html.parser import HTMLParser

import pytest

from devhost.testing import PROJECT_ROOT

from .helpers import (
    cell_text,
    databricks_failure,
    post_alert,
    principal_header,
    read_web_config,
    row,
    unique,
    wait_processed,
    wait_queue_loaded,
)

WEB = PROJECT_ROOT / "web"


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.script_text = ""
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False

    def handle_data(self, data: str) -> None:
        if self._in_script:
            self.script_text += data.strip()


def _index() -> _Tags:
    parser = _Tags()
    parser.feed((WEB / "index.html").read_text(encoding="utf-8"))
    return parser


def _directives(policy: str) -> dict[str, list[str]]:
    return {part.split()[0]: part.split()[1:] for part in (p.strip() for p in policy.split(";")) if part}


def test_the_csp_allows_only_own_scripts_and_the_signalr_service() -> None:
    policy = _directives(read_web_config()["globalHeaders"]["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["connect-src"] == ["'self'", "https://*.service.signalr.net", "wss://*.service.signalr.net"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["object-src"] == ["'none'"]
    assert not any("unsafe" in value for values in policy.values() for value in values)


def test_the_page_carries_the_same_csp_and_no_inline_code() -> None:
    page = _index()
    header = _directives(read_web_config()["globalHeaders"]["Content-Security-Policy"])
    header.pop("frame-ancestors")  # not allowed in a meta element
    metas = [a for t, a in page.tags if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
    assert len(metas) == 1 and _directives(metas[0]["content"] or "") == header
    assert all(a.get("src") for t, a in page.tags if t == "script") and page.script_text == ""
    assert not [t for t, a in page.tags if t == "style" or "style" in a or any(k.startswith("on") for k in a)]


def _swa_roles(method: str, path: str) -> list[str]:
    """The roles of the first route rule that matches, as Static Web Apps evaluates them (wildcard at the end)."""
    for rule in read_web_config()["routes"]:
        pattern = rule["route"]
        matched = path.startswith(pattern[:-1]) if pattern.endswith("*") else path == pattern
        if matched and method in rule.get("methods", [method]):
            return list(rule.get("allowedRoles", ["anonymous"]))
    return ["anonymous"]


@pytest.mark.parametrize(("method", "path", "roles"), [
    ("GET", "/api/tickets", ["aiops-reader"]),
    ("GET", "/api/tickets/export.csv", ["aiops-reader"]),
    ("GET", "/api/tickets/T20260101-000000-ABCD", ["aiops-reader"]),
    ("GET", "/api/summary", ["aiops-reader"]),
    ("POST", "/api/negotiate", ["aiops-reader"]),
    ("POST", "/api/tickets/T20260101-000000-ABCD/acknowledge", ["aiops-responder"]),
    ("POST", "/api/tickets/T20260101-000000-ABCD/resolve", ["aiops-responder"]),
    ("DELETE", "/api/anything", ["aiops-responder"]),
    ("POST", "/api/alerts/databricks", ["anonymous"]),  # the function key guards ingestion
    ("POST", "/api/webhooks/jira", ["anonymous"]),  # HMAC signatures guard webhooks
    ("GET", "/api/health", ["anonymous"]),
])
def test_routes_protect_the_api_by_role(method: str, path: str, roles: list[str]) -> None:
    assert _swa_roles(method, path) == roles


def test_navigation_falls_back_to_the_shell_but_not_for_api_or_assets() -> None:
    fallback = read_web_config()["navigationFallback"]
    assert fallback["rewrite"] == "/index.html"
    assert {"/api/*", "/.auth/*", "/js/*", "/css/*", "/vendor/*"} <= set(fallback["exclude"])


def test_scripts_never_parse_data_as_html_and_vendor_code_is_not_committed() -> None:
    sources = {path: path.read_text(encoding="utf-8") for path in (WEB / "js").rglob("*.js")}
    risky = re.compile(r"\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function")
    assert {str(p): risky.findall(s) for p, s in sources.items() if risky.search(s)} == {}
    assert all(len(s.splitlines()) <= 250 for s in sources.values())
    tracked = subprocess.run(["git", "ls-files", "web/vendor"], cwd=PROJECT_ROOT, capture_output=True, text=True)
    assert tracked.stdout == ""


@pytest.mark.browser
@pytest.mark.slow
def test_untrusted_text_is_shown_as_text(devhost, open_dashboard) -> None:
    hostile = f'<img src=x onerror="window.__owned=1">{unique("xss")}'
    ticket_id = post_alert(devhost, databricks_failure(hostile))
    page = open_dashboard(f"#/tickets/{ticket_id}")
    page.wait_for_selector(".ticket-meta")
    assert page.locator("h1").inner_text() == f"{hostile} failed"
    page.goto("/#/")
    wait_queue_loaded(page)
    assert cell_text(page, ticket_id, "subject") == hostile
    assert row(page, ticket_id).locator("img").count() == 0
    assert page.evaluate("window.__owned") is None


@pytest.mark.browser
@pytest.mark.slow
def test_a_reader_sees_tickets_but_acting_needs_the_responder_role(devhost, open_dashboard) -> None:
    ticket_id = post_alert(devhost, databricks_failure(unique("reader-only")))
    wait_processed(devhost, ticket_id)
    page = open_dashboard(f"#/tickets/{ticket_id}",
                          extra_http_headers={"x-ms-client-principal": principal_header("aiops-reader")})
    page.wait_for_selector("#section-root-cause .root-cause")
    # /.auth/me names the reader's roles, so the page offers no action it would refuse ...
    assert page.locator("button[data-action=acknowledge]").is_disabled()
    assert "aiops-responder" in page.locator("#section-actions, .card:has(#h-actions)").first.inner_text()
    # ... and the API is the judge all the same.
    refused = page.evaluate("""async (id) => (await fetch(`/api/tickets/${id}/acknowledge`, {method: 'POST',
        headers: {'content-type': 'application/json'}, body: '{}'})).status""", ticket_id)
    assert refused == 403
    assert page.locator(".ticket-meta .badge--status").get_attribute("data-status") == "open"


@pytest.mark.browser
@pytest.mark.slow
def test_without_the_reader_role_or_a_principal_the_page_says_what_is_missing(open_dashboard) -> None:
    page = open_dashboard("#/", wait_live=False,
                          extra_http_headers={"x-ms-client-principal": principal_header()})
    page.wait_for_selector(".panel--error")
    assert "aiops-reader" in page.locator(".panel--error").inner_text()

    page = open_dashboard("#/", wait_live=False, extra_http_headers={"x-ms-client-principal": "not-a-principal"})
    page.wait_for_selector(".panel--error")
    sign_in = page.locator(".panel--error a", has_text="Sign in")
    assert sign_in.get_attribute("href").startswith("/.auth/login/aad?post_login_redirect_uri=")


def test_every_module_is_preloaded_by_the_shell() -> None:
    preloaded = {a.get("href") for t, a in _index().tags if t == "link" and a.get("rel") == "modulepreload"}
    modules = {"/" + str(p.relative_to(WEB)) for p in (WEB / "js").rglob("*.js")} - {"/js/main.js"}
    assert preloaded == modules
