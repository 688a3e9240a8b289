"""Names of the storage tables and blob containers the app uses (infra declares the same list)."""

__all__ = ["TABLES", "CONTAINERS", "TICKETS", "DEDUP", "WORK_INDEX", "RCA_CACHE", "SEEN_EVENTS",
           "RAW_ALERTS", "AUDIT"]

TICKETS = "tickets"
DEDUP = "dedup"
WORK_INDEX = "ticketindex"
RCA_CACHE = "rcacache"
SEEN_EVENTS = "webhookevents"
TABLES = (TICKETS, DEDUP, WORK_INDEX, RCA_CACHE, SEEN_EVENTS)

RAW_ALERTS = "raw-alerts"
AUDIT = "audit"
CONTAINERS = (RAW_ALERTS, AUDIT)
