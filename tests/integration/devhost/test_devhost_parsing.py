"""Pure parts of devhost (no processes): route templates, NCRONTAB schedules, HS256 tokens, host.json."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from devhost import hs256
from devhost.environment import read_host_json
from devhost.routes import RouteTable, RouteTemplate, RouteTemplateError
from devhost.signalr_bindings import parse_connection_string
from devhost.timers import CronSchedule, ScheduleError, parse_schedule

T0 = datetime(2024, 1, 31, 23, 59, 58, tzinfo=UTC)  # a Wednesday, two seconds before February


@pytest.mark.parametrize(("template", "path", "expected"), [
    ("tickets/{id}", "tickets/T-1", {"id": "T-1"}),
    ("tickets/{id}", "TICKETS/T-1", {"id": "T-1"}),
    ("tickets/{id}", "tickets", None),
    ("tickets/{id}", "tickets/T-1/extra", None),
    ("tickets/{id?}", "tickets", {}),
    ("tickets/{id=latest}", "tickets", {"id": "latest"}),
    ("files/{*rest}", "files/a/b/c.txt", {"rest": "a/b/c.txt"}),
    ("items/{n:int}", "items/42", {"n": "42"}),
    ("items/{n:int}", "items/4x", None),
    ("items/{n:int:min(10)}", "items/9", None),
    ("items/{name:alpha:maxlength(3)}", "items/abcd", None),
    ("items/{name:length(2,3)}", "items/ab", {"name": "ab"}),
    ("items/{g:guid}", "items/0b7d2c19-61e4-4f0a-9e35-c2a8f41d7e60", {"g": "0b7d2c19-61e4-4f0a-9e35-c2a8f41d7e60"}),
    ("items/{code:regex(^[A-Z]+$)}", "items/ABC", {"code": "ABC"}),
    ("items/{code:regex(^[A-Z]+$)}", "items/abc", None),
    ("items/{b:bool}", "items/True", {"b": "True"}),
])
def test_route_templates_match_like_the_functions_host(template: str, path: str, expected: dict | None) -> None:
    assert RouteTemplate(template).match(path) == expected


def test_literal_segments_take_precedence_over_parameters_regardless_of_order() -> None:
    table: RouteTable[str] = RouteTable()
    table.add("tickets/{id}", "detail")
    table.add("tickets/{id}/{action}", "action")
    table.add("tickets/export.csv", "export")
    table.add("{*any}", "catch-all")
    assert [t for t, _ in table.resolve("tickets/export.csv")][0] == "export"
    assert table.resolve("tickets/T-9")[0] == ("detail", {"id": "T-9"})
    assert table.resolve("tickets/T-9/resolve")[0] == ("action", {"id": "T-9", "action": "resolve"})
    assert table.resolve("other/path")[0] == ("catch-all", {"any": "other/path"})


@pytest.mark.parametrize("bad", ["items/{id", "items/{id:nosuch}", "{*rest}/tail", "a{b}c"])
def test_bad_route_templates_are_rejected(bad: str) -> None:
    with pytest.raises(RouteTemplateError):
        RouteTemplate(bad)


@pytest.mark.parametrize(("expression", "expected"), [
    ("*/5 * * * * *", datetime(2024, 2, 1, 0, 0, 0, tzinfo=UTC)),
    ("30 */5 * * * *", datetime(2024, 2, 1, 0, 0, 30, tzinfo=UTC)),
    ("0 30 9 * * Mon-Fri", datetime(2024, 2, 1, 9, 30, tzinfo=UTC)),
    ("0 0 12 * * 0", datetime(2024, 2, 4, 12, 0, tzinfo=UTC)),
    ("0 0 12 * * 7", datetime(2024, 2, 4, 12, 0, tzinfo=UTC)),
    ("0 0 0 29 Feb *", datetime(2024, 2, 29, tzinfo=UTC)),
    ("0 0 0 1 */6 *", datetime(2024, 7, 1, tzinfo=UTC)),
    ("0 15,45 8-10/2 * * *", datetime(2024, 2, 1, 8, 15, tzinfo=UTC)),
    ("0 0 * * *", datetime(2024, 2, 1, 0, 0, tzinfo=UTC)),  # five fields: seconds are 0
    ("00:05:00", datetime(2024, 2, 1, 0, 4, 58, tzinfo=UTC)),  # a TimeSpan is an interval
])
def test_ncrontab_next_occurrence(expression: str, expected: datetime) -> None:
    assert parse_schedule(expression).next_after(T0) == expected


def test_day_of_month_and_weekday_must_both_match() -> None:
    # The 13th that is a Friday, after January 2024: September 2024.
    assert CronSchedule("0 0 0 13 * Fri").next_after(T0) == datetime(2024, 9, 13, tzinfo=UTC)


@pytest.mark.parametrize("bad", ["* * * *", "60 * * * * *", "0 0 24 * * *", "0 0 0 0 * *", "0 0 0 * 13 *",
                                 "0 0 0 * * Funday", "0 0 5-1 * * *", "0 */0 * * * *"])
def test_bad_schedules_are_rejected(bad: str) -> None:
    with pytest.raises(ScheduleError):
        parse_schedule(bad)


def test_a_schedule_that_can_never_fire_says_so() -> None:
    with pytest.raises(ScheduleError, match="never fires"):
        CronSchedule("0 0 0 30 2 *").next_after(T0)


def test_hs256_tokens_round_trip_and_reject_tampering() -> None:
    token = hs256.encode({"aud": "http://x/client/?hub=h", "exp": time.time() + 60}, "key")
    assert hs256.decode(token, "key", audience="http://x/client/?hub=h")["aud"] == "http://x/client/?hub=h"
    with pytest.raises(hs256.TokenError, match="signature"):
        hs256.decode(token, "other-key")
    with pytest.raises(hs256.TokenError, match="audience"):
        hs256.decode(token, "key", audience="http://x/client/?hub=other")
    expired = hs256.encode({"exp": time.time() - 60}, "key")
    with pytest.raises(hs256.TokenError, match="expired"):
        hs256.decode(expired, "key")
    with pytest.raises(hs256.TokenError, match="malformed"):
        hs256.decode("not-a-jwt", "key")


def test_pyjwt_accepts_devhost_tokens() -> None:
    jwt = pytest.importorskip("jwt")
    token = hs256.encode({"aud": "u", "exp": int(time.time()) + 60, "nameid": "local"}, "k" * 32)
    assert jwt.decode(token, "k" * 32, algorithms=["HS256"], audience="u")["nameid"] == "local"


def test_signalr_connection_strings() -> None:
    assert parse_connection_string("Endpoint=http://127.0.0.1:7071/signalr;AccessKey=abc=;Version=1.0;") == (
        "http://127.0.0.1:7071/signalr", "abc=")
    assert parse_connection_string("Endpoint=https://x.service.signalr.net;AccessKey=k;Port=8443;Version=1.0;") == (
        "https://x.service.signalr.net:8443", "k")
    with pytest.raises(ValueError):
        parse_connection_string("Endpoint=http://x")


def test_host_json_concurrency_in_both_extension_layouts(tmp_path: Path) -> None:
    v5 = tmp_path / "v5.json"
    v5.write_text(json.dumps({"extensions": {"serviceBus": {"maxConcurrentCalls": 8}}}))
    v4 = tmp_path / "v4.json"
    v4.write_text(json.dumps({"extensions": {"serviceBus": {"messageHandlerOptions": {"maxConcurrentCalls": 3}},
                                             "http": {"routePrefix": "/v1/"}}}))
    assert read_host_json(v5).max_concurrent_calls == 8
    assert (read_host_json(v4).max_concurrent_calls, read_host_json(v4).route_prefix) == (3, "v1")
    assert read_host_json(tmp_path / "missing.json").max_concurrent_calls == 4
