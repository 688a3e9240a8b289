"""HTTP triggers through devhost: routing, methods, auth, body limit, principal, errors, static files."""

from __future__ import annotations

import base64
import json
import time

import requests

from devhost.testing import DevhostHandle
from tests.integration.devhost.helpers import API_KEY

ONE_MIB = 1024 * 1024


def _error(response: requests.Response) -> dict:
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message", "details"} and isinstance(body["error"]["details"], list)
    return body["error"]


def test_route_parameters_query_and_method_reach_the_function(sample_host: DevhostHandle) -> None:
    response = requests.get(sample_host.url("/api/hello/World?lang=en&x=1"), timeout=10)
    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "World"
    assert body["params"] == {"lang": "en", "x": "1"}
    assert body["method"] == "GET"
    assert body["url"].endswith("/api/hello/World?lang=en&x=1")


def test_a_constraint_that_does_not_match_means_no_route(sample_host: DevhostHandle) -> None:
    response = requests.get(sample_host.url("/api/hello/123"), timeout=10)
    assert response.status_code == 404
    assert _error(response)["code"] == "not_found"


def test_literal_segment_beats_a_parameter(sample_host: DevhostHandle) -> None:
    export = requests.get(sample_host.url("/api/items/export.csv"), timeout=10)
    assert export.status_code == 200
    assert export.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert export.headers["X-Export"] == "yes"
    assert export.text == "id,name\n1,a\n"
    item = requests.get(sample_host.url("/api/items/export"), timeout=10)
    assert item.json() == {"id": "export", "method": "GET"}


def test_unknown_route_is_404_and_wrong_method_is_405(sample_host: DevhostHandle) -> None:
    missing = requests.get(sample_host.url("/api/no/such/route"), timeout=10)
    assert missing.status_code == 404 and _error(missing)["code"] == "not_found"
    wrong = requests.post(sample_host.url("/api/items/7"), timeout=10)
    assert wrong.status_code == 405
    assert _error(wrong)["code"] == "method_not_allowed"
    assert wrong.headers["Allow"] == "DELETE, GET"
    assert requests.delete(sample_host.url("/api/items/7"), timeout=10).json()["method"] == "DELETE"


def test_function_level_routes_need_the_key(sample_host: DevhostHandle) -> None:
    url = sample_host.url("/api/secure/echo")
    assert requests.post(url, data=b"x", timeout=10).status_code == 401
    wrong = requests.post(url, data=b"x", headers={"x-functions-key": "nope"}, timeout=10)
    assert wrong.status_code == 401 and _error(wrong)["code"] == "unauthorized"
    by_header = requests.post(url, data=b"abc", headers={"x-functions-key": API_KEY}, timeout=10)
    assert by_header.status_code == 201 and by_header.content == b"abc"
    by_query = requests.post(url, params={"code": API_KEY}, data=b"abcd", timeout=10)
    assert by_query.status_code == 201 and by_query.headers["X-Length"] == "4"
    assert by_query.headers["Content-Type"] == "application/octet-stream"


def test_bodies_over_one_mebibyte_are_refused_before_the_function_runs(sample_host: DevhostHandle) -> None:
    url = sample_host.url("/api/secure/echo")
    headers = {"x-functions-key": API_KEY}
    exact = requests.post(url, data=b"a" * ONE_MIB, headers=headers, timeout=30)
    assert exact.status_code == 201 and exact.headers["X-Length"] == str(ONE_MIB)
    too_big = requests.post(url, data=b"a" * (ONE_MIB + 1), headers=headers, timeout=30)
    assert too_big.status_code == 413 and _error(too_big)["code"] == "payload_too_large"

    def chunks():  # no Content-Length: the limit must hold while streaming too
        for _ in range(17):
            yield b"b" * 65536

    streamed = requests.post(url, data=chunks(), headers=headers, timeout=30)
    assert streamed.status_code == 413


def test_an_exception_is_a_500_with_a_json_error_and_a_logged_traceback(sample_host: DevhostHandle) -> None:
    response = requests.get(sample_host.url("/api/boom"), timeout=10)
    assert response.status_code == 500
    assert _error(response)["code"] == "internal_error"
    assert "sample failure for the 500 test" not in response.text  # details stay in the log
    deadline = time.monotonic() + 5  # the log line may reach the output reader after the response
    while "Executed 'Functions.boom'" not in sample_host.output() and time.monotonic() < deadline:
        time.sleep(0.05)
    output = sample_host.output()
    assert "Traceback" in output and "RuntimeError: sample failure for the 500 test" in output
    assert "Executed 'Functions.boom' (Failed" in output


def test_async_functions_are_awaited(sample_host: DevhostHandle) -> None:
    assert requests.get(sample_host.url("/api/async/21"), timeout=10).json() == {"doubled": 42}
    assert requests.get(sample_host.url("/api/async/abc"), timeout=10).status_code == 404


def test_a_local_principal_is_injected_unless_the_caller_sends_one(sample_host: DevhostHandle) -> None:
    injected = requests.get(sample_host.url("/api/hello/me"), timeout=10).json()["principal"]
    principal = json.loads(base64.b64decode(injected))
    assert principal["userId"] == "local"
    assert principal["identityProvider"] == "devhost"
    assert {"authenticated", "aiops-reader", "aiops-responder"} <= set(principal["userRoles"])
    mine = base64.b64encode(json.dumps({"userId": "someone", "userRoles": ["anonymous"]}).encode()).decode()
    passed = requests.get(sample_host.url("/api/hello/me"), headers={"x-ms-client-principal": mine}, timeout=10)
    assert passed.json()["principal"] == mine


def test_auth_me_names_who_is_signed_in_as_static_web_apps_does(sample_host: DevhostHandle) -> None:
    local = requests.get(sample_host.url("/.auth/me"), timeout=10).json()["clientPrincipal"]
    assert local["userDetails"] == "local-user" and "aiops-responder" in local["userRoles"]
    mine = {"identityProvider": "aad", "userId": "u1", "userDetails": "ana@example.com", "userRoles": ["aiops-reader"]}
    header = base64.b64encode(json.dumps(mine).encode()).decode()
    assert requests.get(sample_host.url("/.auth/me"), headers={"x-ms-client-principal": header},
                        timeout=10).json() == {"clientPrincipal": mine}
    garbled = requests.get(sample_host.url("/.auth/me"), headers={"x-ms-client-principal": "%%%"}, timeout=10)
    assert garbled.json() == {"clientPrincipal": None}  # not signed in


def test_invocations_are_logged_with_name_duration_and_outcome(sample_host: DevhostHandle) -> None:
    requests.get(sample_host.url("/api/items/logged"), timeout=10)
    lines = [line for line in sample_host.output().splitlines() if "Functions.items_get" in line]
    assert any("Succeeded" in line and "Duration=" in line and " INFO " in line for line in lines)


def test_storage_setting_points_at_the_azurite_devhost_started(sample_host: DevhostHandle) -> None:
    assert "127.0.0.1" in (sample_host.settings["AzureWebJobsStorage"] or "")
    response = requests.put(sample_host.url("/api/storage/probe"), data=b"kept", timeout=30)
    assert response.status_code == 200, response.text
    assert response.json() == {"stored": "kept"}


def test_web_root_is_served_at_slash(sample_host: DevhostHandle) -> None:
    index = requests.get(sample_host.url("/"), timeout=10)
    assert index.status_code == 200 and "devhost-static-ok" in index.text
    assert index.headers["Content-Type"].startswith("text/html")
    script = requests.get(sample_host.url("/js/app.js"), timeout=10)
    assert script.headers["Content-Type"].startswith("text/javascript")
    assert script.text.strip() == "window.devhostTest = 1;"
    assert requests.get(sample_host.url("/missing.png"), timeout=10).status_code == 404
    escape = requests.get(sample_host.url("/js/%2e%2e/%2e%2e/conftest.py"), timeout=10)
    assert escape.status_code == 404
