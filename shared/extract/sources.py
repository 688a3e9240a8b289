"""Which system an alert is about, from its log tables, its query and its resource types."""

from __future__ import annotations

import re
from collections.abc import Iterable

from shared.alerts import SourceKind

__all__ = ["classify_source", "tables_in_query"]

_TABLE_SOURCES = {
    "adfpipelinerun": SourceKind.ADF,
    "adfactivityrun": SourceKind.ADF,
    "adftriggerrun": SourceKind.ADF,
    "synapseintegrationpipelineruns": SourceKind.SYNAPSE,
    "synapseintegrationactivityruns": SourceKind.SYNAPSE,
    "synapseintegrationtriggerruns": SourceKind.SYNAPSE,
    "databricksjobs": SourceKind.DATABRICKS_JOB,
    "databricksclusters": SourceKind.DATABRICKS_CLUSTER,
}
_TYPE_SOURCES = {
    "microsoft.datafactory/factories": SourceKind.ADF,
    "microsoft.synapse/workspaces": SourceKind.SYNAPSE,
    "microsoft.databricks/workspaces": SourceKind.DATABRICKS_JOB,
    "microsoft.web/sites": SourceKind.AZURE_FUNCTION,
}
_APP_INSIGHTS = "microsoft.insights/components"
_TABLE_PATTERN = re.compile(r"\b(" + "|".join(_TABLE_SOURCES) + r")\b", re.IGNORECASE)
# A function app's App Insights failures are queried from these tables.
_APP_INSIGHTS_FAILURE_QUERY = re.compile(r"^\s*(requests|exceptions)\b", re.IGNORECASE)


def tables_in_query(query: str | None) -> list[str]:
    """Known source tables a KQL query reads, in the order they appear."""
    return [match.group(1) for match in _TABLE_PATTERN.finditer(query or "")]


def classify_source(
    resource_types: Iterable[str | None],
    tables: Iterable[str | None] = (),
    query: str | None = None,
    has_cluster: bool = False,
) -> SourceKind:
    """Log tables are the most specific signal, then the query text, then the resource types."""
    for table in [*tables, *tables_in_query(query)]:
        kind = _TABLE_SOURCES.get((table or "").strip().lower())
        if kind is not None:
            return kind
    types = [(value or "").strip().lower() for value in resource_types]
    for resource_type in types:
        kind = _TYPE_SOURCES.get(resource_type)
        if kind is SourceKind.DATABRICKS_JOB and has_cluster:
            return SourceKind.DATABRICKS_CLUSTER
        if kind is not None:
            return kind
    if _APP_INSIGHTS in types and _APP_INSIGHTS_FAILURE_QUERY.match(query or ""):
        return SourceKind.AZURE_FUNCTION
    return SourceKind.OTHER
