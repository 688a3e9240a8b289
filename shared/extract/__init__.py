"""Vendor alert payloads (Azure Monitor, Databricks) → normalized `Alert`s; pure functions, no I/O."""

from shared.extract.azure_monitor import extract_azure_monitor
from shared.extract.databricks import extract_databricks
from shared.extract.errors import (
    INVALID_ALERT,
    NON_COMMON_SCHEMA,
    UNSUPPORTED_EVENT_TYPE,
    UNSUPPORTED_SCHEMA,
    PayloadError,
)

__all__ = [
    "INVALID_ALERT",
    "NON_COMMON_SCHEMA",
    "UNSUPPORTED_EVENT_TYPE",
    "UNSUPPORTED_SCHEMA",
    "PayloadError",
    "extract_azure_monitor",
    "extract_databricks",
]
