"""CSV export through devhost: exactly the filtered tickets, RFC 4180 quoting, formula cells neutralized."""

from __future__ import annotations

import pytest

from tests.e2e.pipeline.helpers import Api, adf_log_alert, api_for, assert_error, databricks_failure


@pytest.fixture(scope="module")
def api(devhost_factory) -> Api:  # type: ignore[no-untyped-def]
    return api_for(devhost_factory({}))


# -- CSV export ---------------------------------------------------------------------------------------

CSV_NAMES = ['=HYPERLINK("http://evil.example/?csvmark","click, me")', "+cmd|' /C calc'!A0 csvmark",
             'csvmark nightly "quoted", with comma\nand a newline']


@pytest.fixture(scope="module")
def csv_tickets(api: Api) -> list[str]:
    ids = [api.create("databricks", databricks_failure(f"90909000{i}", job_id=f"9090{i}", name=name))
           for i, name in enumerate(CSV_NAMES)]
    api.create("azure-monitor", adf_log_alert("csvmark-run-0001", pipeline="PL_csvmark"))  # another source
    return ids


def _export(api: Api, **params: str) -> tuple[str, list[list[str]]]:
    import csv
    import io

    response = api.request("GET", "/api/tickets/export.csv", params=params)
    assert response.status_code == 200, response.text[:300]
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in response.headers.get("Content-Disposition", "")
    text = response.content.decode("utf-8")
    rows = list(csv.reader(io.StringIO(text, newline=""), strict=True))
    return text, rows


def test_csv_export_holds_exactly_the_filtered_tickets(api: Api, csv_tickets: list[str]) -> None:
    text, rows = _export(api, q="csvmark", source="databricks_job")
    header, body = rows[0], rows[1:]
    assert header[0] == "id" and {"status", "priority", "title", "job", "occurrences", "jira_key"} <= set(header)
    assert sorted(r[0] for r in body) == sorted(csv_tickets)
    assert all(len(r) == len(header) for r in body)
    listed = api.all_tickets(q="csvmark", source="databricks_job")
    assert [r[0] for r in body] == [t["id"] for t in listed]  # the same tickets, in the list's order
    everything = _export(api, q="csvmark")[1][1:]
    assert len(everything) == len(csv_tickets) + 1

    assert api.act(csv_tickets[1], "acknowledge").status_code == 200
    acked = _export(api, q="csvmark", status="acknowledged")[1][1:]
    assert [r[0] for r in acked] == [csv_tickets[1]]
    assert acked[0][header.index("status")] == "acknowledged"
    adf_id = next(r[0] for r in everything if r[header.index("source")] == "adf")
    assert sorted(r[0] for r in _export(api, q="csvmark", status="open")[1][1:]) == \
        sorted([csv_tickets[0], csv_tickets[2], adf_id])
    assert_error(api.request("GET", "/api/tickets/export.csv", params={"priority": "P9"}), 400)


def test_csv_export_quotes_per_rfc4180_and_neutralizes_formulas(api: Api, csv_tickets: list[str]) -> None:
    text, rows = _export(api, q="csvmark", source="databricks_job")
    header = rows[0]
    assert text.endswith("\r\n") and text[text.index("\n") - 1] == "\r"  # CRLF ends every record
    jobs = {r[0]: r[header.index("job")] for r in rows[1:]}
    titles = {r[0]: r[header.index("title")] for r in rows[1:]}
    assert jobs[csv_tickets[0]] == "'" + CSV_NAMES[0]
    assert jobs[csv_tickets[1]] == "'" + CSV_NAMES[1]
    assert jobs[csv_tickets[2]] == CSV_NAMES[2]  # embedded quotes, comma and newline survive quoting
    assert titles[csv_tickets[0]].startswith("'=HYPERLINK(")
    assert '"\'=HYPERLINK(""http://evil.example/?csvmark"",""click, me"")"' in text
    for row in rows[1:]:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), f"formula-like cell {cell!r}"
