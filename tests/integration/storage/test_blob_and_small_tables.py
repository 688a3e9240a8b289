"""Archive, audit log, RCA cache and seen-events adapters against Azurite, with the fakes' contract."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest

from shared.rca.model import Category, RcaResult
from shared.tickets import AuditEntry
from tests.fakes import FakeArchive, FakeAuditLog, FakeRcaCache, FakeSeenEvents


@pytest.fixture
def real(storage_settings, unique):
    from shared.adapters.blob_store import BlobArchive, BlobAuditLog
    from shared.adapters.storage_clients import blob_service, table_service
    from shared.adapters.table_small import TableRcaCache, TableSeenEvents
    from shared.bootstrap import ensure_storage

    prefix = f"t{unique}"
    tables, blobs = table_service(storage_settings), blob_service(storage_settings)
    ensure_storage(tables, blobs, prefix)
    return {"archive": BlobArchive(blobs, prefix + "raw-alerts"), "audit": BlobAuditLog(blobs, prefix + "audit"),
            "cache": TableRcaCache(tables, prefix), "seen": TableSeenEvents(tables, prefix)}


@pytest.fixture(params=["fake", "real"])
def parts(request):
    if request.param == "fake":
        return {"archive": FakeArchive(), "audit": FakeAuditLog(), "cache": FakeRcaCache(), "seen": FakeSeenEvents()}
    return request.getfixturevalue("real")


def test_archive_keeps_body_and_metadata(parts):
    parts["archive"].put("2026/12/04/abc.json", b'{"a": 1}', {"status": "created", "ticket_ids": "T1"})
    assert parts["archive"].get("2026/12/04/abc.json") == b'{"a": 1}'
    assert parts["archive"].list("2026/12/") == ["2026/12/04/abc.json"]
    assert parts["archive"].list("2025/") == []
    assert parts["archive"].entries("2026/") == [("2026/12/04/abc.json", {"status": "created", "ticket_ids": "T1"})]


def test_audit_is_append_only_and_ordered(parts):
    at = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    for i in range(3):
        parts["audit"].append("T1", AuditEntry(at=at, actor="ingest", action=f"a{i}", details={"n": i}))
    assert [e.action for e in parts["audit"].read("T1")] == ["a0", "a1", "a2"]
    assert parts["audit"].read("T-none") == []


def test_several_audit_entries_go_in_one_append_and_none_writes_nothing(parts):
    at = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    parts["audit"].append("T3", AuditEntry(at=at, actor="ingest", action="created"))
    parts["audit"].append_many("T3", [AuditEntry(at=at, actor="notify", action=f"n{i}", details={"i": i})
                                      for i in range(3)])
    parts["audit"].append_many("T3", [])
    parts["audit"].append_many("T-new", [AuditEntry(at=at, actor="notify", action="first")])  # creates the blob
    assert [e.action for e in parts["audit"].read("T3")] == ["created", "n0", "n1", "n2"]
    assert [e.action for e in parts["audit"].read("T-new")] == ["first"]


def test_another_instance_appends_to_an_existing_trail_in_one_round_trip(real, storage_settings, monkeypatch):
    from shared.adapters.blob_store import BlobAuditLog
    from shared.adapters.pooled_transport import PooledHttpTransport
    from shared.adapters.storage_clients import blob_service

    at = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    real["audit"].start("T4")
    real["audit"].append("T4", AuditEntry(at=at, actor="ingest", action="created"))
    other = BlobAuditLog(blob_service(storage_settings), real["audit"]._container.container_name)
    sent: list[str] = []
    original = PooledHttpTransport.send
    monkeypatch.setattr(PooledHttpTransport, "send", lambda self, request, **kw: (sent.append(request.method),
                                                                                 original(self, request, **kw))[1])
    other.append("T4", AuditEntry(at=at, actor="enrich", action="enriched"))
    assert sent == ["PUT"]  # the Append Block alone: no create-if-missing first
    other.append("T5", AuditEntry(at=at, actor="enrich", action="first"))  # a trail nobody started
    assert [e.action for e in other.read("T4")] == ["created", "enriched"]
    assert [e.action for e in other.read("T5")] == ["first"]


def test_concurrent_first_audit_entries_are_all_kept(real):
    at = datetime(2026, 12, 4, 3, 0, tzinfo=UTC)
    threads = [threading.Thread(target=real["audit"].append,
                                args=("T2", AuditEntry(at=at, actor="x", action=f"a{i}"))) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(e.action for e in real["audit"].read("T2")) == [f"a{i}" for i in range(8)]


def test_rca_cache_round_trips(parts):
    result = RcaResult(category=Category.OUT_OF_MEMORY, error_type="DriverOOM", root_cause="driver heap")
    assert parts["cache"].get("fp1") is None
    parts["cache"].put("fp1", result)
    assert parts["cache"].get("fp1") == result


def test_seen_events_is_true_once(parts):
    assert parts["seen"].first_time("jira", "evt-1") is True
    assert parts["seen"].first_time("jira", "evt-1") is False
    assert parts["seen"].first_time("slack", "evt-1") is True
