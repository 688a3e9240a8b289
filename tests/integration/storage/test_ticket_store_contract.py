"""One contract, two stores: the in-memory fake and the Table Storage adapter against Azurite."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from shared.ports import TicketQuery
from shared.rca.model import Category, RcaResult
from shared.tickets import Stage, Ticket, TicketStatus, new_ticket_id
from tests.fakes import FakeTicketStore

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


def make_ticket(n: int, created: datetime, **fields) -> Ticket:
    key = f"adf:factory:{n}"
    return Ticket(id=new_ticket_id(key, created), dedup_key=key, source=fields.pop("source", "adf"),
                  title=f"PL_{n} failed", pipeline=f"PL_{n}", first_seen_at=created, last_seen_at=created,
                  created_at=created, sla_due_at=created + timedelta(minutes=30), **fields)


@pytest.fixture(params=["fake", "table"])
def store(request, unique):
    if request.param == "fake":
        return FakeTicketStore()
    from shared.adapters.storage_clients import blob_service, table_service
    from shared.adapters.table_ticket_store import TableTicketStore
    from shared.bootstrap import ensure_storage

    settings = request.getfixturevalue("storage_settings")
    tables = table_service(settings)
    ensure_storage(tables, blob_service(settings), prefix=f"t{unique}")
    return TableTicketStore(tables, prefix=f"t{unique}")


def test_claim_has_exactly_one_winner(store):
    results = [store.claim("adf:f:run-1", f"candidate-{i}") for i in range(3)]
    assert results[0] == ("candidate-0", True)
    assert results[1:] == [("candidate-0", False)] * 2
    assert store.find("adf:f:run-1") == "candidate-0"
    assert store.find("adf:f:other") is None


def test_create_is_insert_if_absent_and_get_round_trips(store):
    ticket = make_ticket(1, T0, rca=RcaResult(category=Category.TIMEOUT, error_type="x", root_cause="y"))
    assert store.create(ticket) is True
    assert store.create(ticket) is False
    loaded = store.get(ticket.id)
    assert loaded == ticket
    assert store.get("T20990101-000000-FFFF") is None
    assert store.get("not-an-id") is None


def test_mutate_applies_changes_and_skips_writes_when_told(store):
    ticket = make_ticket(2, T0)
    store.create(ticket)
    updated = store.mutate(ticket.id, lambda t: setattr(t, "occurrences", 5))
    assert updated.occurrences == 5 and store.get(ticket.id).occurrences == 5
    assert store.mutate(ticket.id, lambda t: False).occurrences == 5
    assert store.mutate("T20990101-000000-FFFF", lambda t: None) is None


def test_list_is_newest_first_across_months_with_cursor_paging(store):
    created = [T0 - timedelta(days=20 * i) for i in range(7)]  # spans several month partitions
    for n, when in enumerate(created):
        store.create(make_ticket(n, when))
    seen, cursor = [], None
    while True:
        page = store.list(TicketQuery(limit=3, cursor=cursor))
        seen += [t.created_at for t in page.items]
        cursor = page.next_cursor
        if not cursor:
            break
    assert seen == sorted(created, reverse=True)


def test_list_filters_and_searches(store):
    store.create(make_ticket(1, T0, status=TicketStatus.ACKNOWLEDGED, priority="P1"))
    store.create(make_ticket(2, T0 + timedelta(seconds=1), source="databricks_job", priority="P2"))
    store.create(make_ticket(3, T0 + timedelta(seconds=2), team="payments"))
    assert [t.pipeline for t in store.list(TicketQuery(status="acknowledged")).items] == ["PL_1"]
    assert [t.pipeline for t in store.list(TicketQuery(priority="P1,P2")).items] == ["PL_2", "PL_1"]
    assert [t.pipeline for t in store.list(TicketQuery(source="databricks_job")).items] == ["PL_2"]
    assert [t.pipeline for t in store.list(TicketQuery(team="payments")).items] == ["PL_3"]
    assert [t.pipeline for t in store.list(TicketQuery(q="pl_3")).items] == ["PL_3"]
    assert store.list(TicketQuery(status="resolved")).items == []


def test_work_indexes_follow_state_changes(store):
    ticket = make_ticket(4, T0, job_id="42", workspace_id="ws1")
    store.create(ticket)
    assert [t.id for t in store.open_unacknowledged()] == [ticket.id]
    assert [t.id for t in store.in_flight()] == [ticket.id]
    assert [t.id for t in store.tickets_for_job("ws1", "42")] == [ticket.id]

    def progress(t: Ticket) -> None:
        t.stage, t.acknowledged_at, t.status, t.jira_key = Stage.NOTIFIED, T0, TicketStatus.ACKNOWLEDGED, "OPS-7"

    store.mutate(ticket.id, progress)
    assert store.open_unacknowledged() == [] and store.in_flight() == []
    assert store.find_by_jira_key("OPS-7").id == ticket.id
    assert store.find_by_jira_key("OPS-8") is None


def test_concurrent_mutations_lose_no_update(store):
    ticket = make_ticket(5, T0)
    store.create(ticket)

    def bump() -> None:
        for _ in range(5):
            store.mutate(ticket.id, lambda t: setattr(t, "occurrences", t.occurrences + 1))

    threads = [threading.Thread(target=bump) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert store.get(ticket.id).occurrences == 31


def test_two_stores_on_separate_clients_stay_consistent(store, request, unique):
    if isinstance(store, FakeTicketStore):
        pytest.skip("a second client only exists for the real store")
    from shared.adapters.storage_clients import table_service
    from shared.adapters.table_ticket_store import TableTicketStore

    other = TableTicketStore(table_service(request.getfixturevalue("storage_settings")), prefix=f"t{unique}")
    ticket = make_ticket(6, T0)
    store.create(ticket)
    store.mutate(ticket.id, lambda t: setattr(t, "occurrences", 2))  # cached etag in `store`
    other.mutate(ticket.id, lambda t: setattr(t, "occurrences", t.occurrences + 1))
    assert store.mutate(ticket.id, lambda t: setattr(t, "occurrences", t.occurrences + 1)).occurrences == 4


def test_a_no_op_or_a_refusal_is_decided_on_the_stored_ticket_not_a_stale_copy(store, request, unique):
    if isinstance(store, FakeTicketStore):
        pytest.skip("a second client only exists for the real store")
    from shared.adapters.storage_clients import table_service
    from shared.adapters.table_ticket_store import TableTicketStore

    other = TableTicketStore(table_service(request.getfixturevalue("storage_settings")), prefix=f"t{unique}")
    ticket = make_ticket(8, T0)
    store.create(ticket)  # `store` now holds a copy at stage ingested
    other.mutate(ticket.id, lambda t: setattr(t, "stage", Stage.NOTIFIED))  # another process moves it on
    seen = store.mutate(ticket.id, lambda t: False)  # a change with nothing to do (a repeated action)
    assert seen.stage == Stage.NOTIFIED  # answered with what storage holds, not the stale copy

    def refuse_if_resolved(t: Ticket) -> bool:
        if t.status == TicketStatus.RESOLVED:
            raise ValueError("resolved")
        return False

    store.mutate(ticket.id, lambda t: setattr(t, "status", TicketStatus.RESOLVED))  # cached: resolved
    other.mutate(ticket.id, lambda t: setattr(t, "status", TicketStatus.OPEN))  # reopened elsewhere
    assert store.mutate(ticket.id, refuse_if_resolved).status == TicketStatus.OPEN  # not refused on the copy


def test_a_recent_read_is_a_private_copy_and_a_fresh_read_sees_other_writers(store, request, unique):
    ticket = make_ticket(7, T0)
    store.create(ticket)
    store.mutate(ticket.id, lambda t: setattr(t, "occurrences", 2))
    copy = store.get(ticket.id, recent=True)
    assert copy.occurrences == 2
    copy.occurrences = 99  # callers may edit what they get
    assert store.get(ticket.id, recent=True).occurrences == 2
    if isinstance(store, FakeTicketStore):
        return
    from shared.adapters.storage_clients import table_service
    from shared.adapters.table_ticket_store import TableTicketStore

    other = TableTicketStore(table_service(request.getfixturevalue("storage_settings")), prefix=f"t{unique}")
    other.mutate(ticket.id, lambda t: setattr(t, "occurrences", 3))
    assert store.get(ticket.id).occurrences == 3  # a plain get always reads
    # The recent copy may be stale, and a mutate from it still lands on the newest row.
    assert store.mutate(ticket.id, lambda t: setattr(t, "occurrences", t.occurrences + 1)).occurrences == 4


def test_similar_incidents_count_recent_and_resolver_from_the_index(store):
    def rca(fp: str) -> RcaResult:
        return RcaResult(category=Category.TIMEOUT, error_type="x", root_cause="y", fingerprint=fp)

    for n in range(4):
        store.create(make_ticket(20 + n, T0 + timedelta(days=n), rca=rca("fp-a")))
    store.create(make_ticket(30, T0, rca=rca("fp-b")))
    resolved = make_ticket(21, T0 + timedelta(days=1)).id
    store.mutate(resolved, lambda t: setattr(t, "resolved_by", "alice"))
    current = make_ticket(23, T0 + timedelta(days=3)).id
    found = store.similar_incidents("fp-a", T0, T0 + timedelta(days=3), current, 2)
    assert found.count == 3
    assert [r["id"] for r in found.recent] == [make_ticket(22, T0 + timedelta(days=2)).id, resolved]
    assert found.recent[1]["resolved_by"] == "alice" and found.recent[0]["status"] == "open"
    assert (found.resolved_ticket, found.resolved_by) == (resolved, "alice")
    later = store.similar_incidents("fp-a", T0 + timedelta(hours=1), T0 + timedelta(days=3), current, 5)
    assert later.count == 2 and store.similar_incidents("fp-c", T0, T0, "", 5).count == 0


def test_a_losing_create_leaves_the_index_describing_the_stored_ticket(store):
    ticket = make_ticket(10, T0)
    store.create(ticket)
    store.mutate(ticket.id, lambda t: (setattr(t, "stage", Stage.NOTIFIED), setattr(t, "acknowledged_at", T0)) and None)
    assert store.create(ticket) is False  # the stale copy claims open + in flight
    assert store.open_unacknowledged() == [] and store.in_flight() == []
    if not isinstance(store, FakeTicketStore):  # and no stale index row is left to re-read forever
        assert store._work_prefix("live|") == []


def test_ticket_facts_carry_what_the_summary_needs(store):
    from shared.ticket_facts import facts_of

    analyzed = make_ticket(40, T0, rca=RcaResult(category=Category.OUT_OF_MEMORY, error_type="DriverOOM",
                                                 root_cause="heap", fingerprint="fp-x", tokens={"total": 42}))
    store.create(analyzed)
    store.create(make_ticket(41, T0 - timedelta(days=40)))
    store.mutate(analyzed.id, lambda t: (setattr(t, "acknowledged_at", T0 + timedelta(minutes=3)),
                                         setattr(t, "status", TicketStatus.ACKNOWLEDGED)) and None)
    facts = store.ticket_facts(since=T0 - timedelta(days=1))
    assert facts == [facts_of(store.get(analyzed.id))]
    assert facts[0].category == "out_of_memory" and facts[0].llm_tokens == 42
    assert facts[0].acknowledged_at == T0 + timedelta(minutes=3)
    assert {f.category for f in store.ticket_facts()} == {"out_of_memory", "unclassified"}


def test_cursors_of_other_shapes_are_refused(store):
    import base64
    import json

    store.create(make_ticket(50, T0))
    for forged in (["202612", "x' or true"], [[1], {}], ["2026", "00000000000000-T1"], "not base64!"):
        raw = forged if isinstance(forged, str) else base64.urlsafe_b64encode(json.dumps(forged).encode()).decode()
        if isinstance(store, FakeTicketStore):
            continue  # the fake's cursors are offsets; the shape rule guards the OData filter
        with pytest.raises(ValueError):
            store.list(TicketQuery(cursor=raw))


def test_team_filter_ignores_case(store):
    store.create(make_ticket(51, T0, team="Payments"))
    assert [t.pipeline for t in store.list(TicketQuery(team="payments")).items] == ["PL_51"]
