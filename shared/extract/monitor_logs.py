"""Azure Monitor log alert contexts: V2 `LogQueryCriteria` (dimensions, links) and V1 `SearchResults` rows."""

from __future__ import annotations

import re
from typing import Any

from shared.extract.assemble import Draft
from shared.extract.monitor_metric import read_window
from shared.extract.records import RecordView, read_record
from shared.extract.sources import tables_in_query
from shared.extract.values import as_dict, as_list, lower_keys, string_map, text, to_utc

__all__ = ["looks_like_v1", "read_log_v1_context", "read_log_v2_context"]

_RESOURCE_TYPE = re.compile(r"[A-Za-z0-9.]+/[A-Za-z0-9.]+")
# DatabricksJobs rows that record a run starting or succeeding are not failures.
_DATABRICKS_NON_FAILURE_ACTIONS = frozenset({"runstart", "runsucceeded", "runtriggered"})


def looks_like_v1(context: dict[str, Any]) -> bool:
    keys = lower_keys(context)
    return any(key in keys for key in ("searchquery", "searchresults", "searchintervalstarttimeutc"))


def _first_text(values: dict[str, Any], *keys: str) -> str | None:
    return next((text(values.get(key)) for key in keys if text(values.get(key))), None)


def _resource_types(value: Any) -> list[str | None]:
    # Sent as the text "['Microsoft.OperationalInsights/workspaces']", sometimes as a real array.
    if isinstance(value, str):
        return list(_RESOURCE_TYPE.findall(value))
    return [text(item) for item in as_list(value)]


def _event_rows(entry: dict[str, Any]) -> list[RecordView]:
    """`Simple Log Alert` results: each row an array of {name, value} pairs."""
    views = [read_record(string_map(row)) for row in as_list(entry.get("event")) if isinstance(row, list)]
    return [view for view in views if view.identifies_something]


def _v2_criterion(entry: dict[str, Any]) -> list[Draft]:
    dims = string_map(entry.get("dimensions"))
    view = read_record(dims)
    links = {
        "search_results_api": _first_text(entry, "linkToFilteredSearchResultsAPI", "linkToSearchResultsAPI"),
        "search_results_ui": _first_text(entry, "linkToFilteredSearchResultsUI", "linkToSearchResultsUI"),
    }
    criterion = Draft(fields=view.fields, dimensions=dims, links=links,
                      resource_types=_resource_types(entry.get("targetResourceTypes")),
                      query=text(entry.get("searchQuery")), event_time=view.time, action=view.action)
    rows = _event_rows(entry)
    if not rows:
        return [criterion]
    return [Draft(fields={**criterion.fields, **row.fields}, dimensions=dims, links=links,
                  resource_types=criterion.resource_types, query=criterion.query,
                  event_time=row.time or view.time, action=row.action or view.action) for row in rows]


def read_log_v2_context(context: dict[str, Any], base: Draft) -> list[Draft]:
    condition = as_dict(context.get("condition"))
    read_window(condition, base)
    entries = [entry for entry in as_list(condition.get("allOf")) if isinstance(entry, dict)]
    return [draft for entry in entries for draft in _v2_criterion(entry)]


def _is_failure(view: RecordView, tables: list[str]) -> bool:
    if view.status is not None and view.status.lower() != "failed":
        return False  # ADFPipelineRun logs a row per status change; only the Failed one is a failure
    started_or_succeeded = (view.action or "").lower() in _DATABRICKS_NON_FAILURE_ACTIONS
    return not ("databricksjobs" in tables and started_or_succeeded)


def _table_rows(table: dict[str, Any]) -> list[RecordView]:
    columns = [text(as_dict(column).get("name")) for column in as_list(table.get("columns"))]
    views = []
    for row in as_list(table.get("rows")):
        if isinstance(row, list):
            views.append(read_record({name: value for name, value in zip(columns, row, strict=False) if name}))
    return views


def read_log_v1_context(context: dict[str, Any], base: Draft) -> list[Draft]:
    """One draft per failed row that names a failure; none when no row does (the alert stands alone)."""
    keys = lower_keys(context)
    base.fields["window_start"] = to_utc(keys.get("searchintervalstarttimeutc"))
    base.fields["window_end"] = to_utc(keys.get("searchintervalendtimeutc"))
    base.links["search_results_api"] = _first_text(keys, "linktofilteredsearchresultsapi", "linktosearchresultsapi")
    base.links["search_results_ui"] = _first_text(
        keys, "linktofilteredsearchresultsui", "linktosearchresultsui", "linktosearchresults")
    base.dimensions.update(string_map(keys.get("dimensions")))
    base.query = text(keys.get("searchquery"))

    results = as_dict(keys.get("searchresults"))
    for source in as_list(results.get("dataSources")):
        base.tables.extend(text(name) for name in as_list(as_dict(source).get("tables")))
    known_tables = [name.lower() for name in [*base.tables, *tables_in_query(base.query)] if name]

    drafts = []
    for table in as_list(results.get("tables")):
        for view in _table_rows(as_dict(table)):
            row_tables = [view.table.lower()] if view.table else known_tables
            if view.identifies_something and _is_failure(view, row_tables):
                drafts.append(Draft(fields=view.fields, tables=[view.table], event_time=view.time,
                                    action=view.action))
    return drafts
