"""TicketStore on Azure Table Storage: atomic dedup claims, etag-checked mutations, indexed queries."""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from shared.adapters.names import DEDUP, TICKETS, WORK_INDEX
from shared.adapters.storage_errors import storage_boundary
from shared.adapters.table_ticket_queries import TicketQueries
from shared.adapters.ticket_rows import (
    WORK_PARTITION,
    entity_doc,
    entity_to_ticket,
    index_rows,
    ticket_keys,
    ticket_to_entity,
)
from shared.parallel import run_together
from shared.ports import ConcurrencyError, Mutation
from shared.tickets import Ticket

__all__ = ["TableTicketStore"]

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 40
@storage_boundary
class TableTicketStore(TicketQueries):
    def __init__(self, service: Any, prefix: str = "") -> None:
        """`prefix` namespaces the tables (tests use it to isolate themselves in one Azurite)."""
        self._tickets = service.get_table_client(prefix + TICKETS)
        self._dedup = service.get_table_client(prefix + DEDUP)
        self._work = service.get_table_client(prefix + WORK_INDEX)
        # Last document and etag this process wrote per ticket: a repeat alert can then update with
        # one request instead of read + write. The etag check keeps it correct across instances.
        # The JSON is kept, not the model: parsing it hands every caller a private copy, several
        # times cheaper than deep-copying a pydantic model.
        self._recent: OrderedDict[str, tuple[str, str]] = OrderedDict()
        self._claims: OrderedDict[str, str] = OrderedDict()  # dedup pointers never change
        self._months_seen: set[str] = set()
        self._lock = threading.Lock()

    # -- creation --------------------------------------------------------------------------
    def claim(self, dedup_key: str, candidate_id: str) -> tuple[str, bool]:
        from azure.core.exceptions import ResourceExistsError, ResourceNotFoundError

        with self._lock:
            if dedup_key in self._claims:
                return self._claims[dedup_key], False
        pk, rk = self._dedup_keys(dedup_key)
        try:
            self._dedup.create_entity({"PartitionKey": pk, "RowKey": rk, "ticket_id": candidate_id,
                                       "dedup_key": dedup_key[:1000]})
            bound, won = candidate_id, True
        except ResourceExistsError:
            try:
                bound, won = self._dedup.get_entity(pk, rk)["ticket_id"], False
            except ResourceNotFoundError:  # deleted in between: unheard of, but never loop forever
                return self.claim(dedup_key, candidate_id)
        self._remember_claim(dedup_key, bound)
        return bound, won

    def find(self, dedup_key: str) -> str | None:
        from azure.core.exceptions import ResourceNotFoundError

        with self._lock:
            if dedup_key in self._claims:
                return self._claims[dedup_key]
        try:
            bound = str(self._dedup.get_entity(*self._dedup_keys(dedup_key))["ticket_id"])
        except ResourceNotFoundError:
            return None
        self._remember_claim(dedup_key, bound)
        return bound

    def create(self, ticket: Ticket) -> bool:
        from azure.core.exceptions import ResourceExistsError

        entity = ticket_to_entity(ticket)

        def insert() -> Any:
            try:
                return self._tickets.create_entity(entity)
            except ResourceExistsError:
                return None

        # The index rows go out alongside the insert; if the insert loses (the ticket exists), the
        # rows just written are put back in line with the stored ticket.
        written = index_rows(ticket)
        meta = run_together(insert, lambda: self._write_index({}, written))[0]
        if meta is None:
            existing = self._read(ticket.id)
            if existing is not None:
                self._write_index(written, index_rows(existing[0]))
            return False
        self._remember(ticket.id, entity_doc(entity), meta["etag"])
        return True

    # -- reads -----------------------------------------------------------------------------
    def get(self, ticket_id: str, *, recent: bool = False) -> Ticket | None:
        if recent:
            with self._lock:
                cached = self._recent.get(ticket_id)
            if cached is not None:
                return Ticket.model_validate_json(cached[0])
        found = self._read(ticket_id)
        return found[0] if found else None

    def _read(self, ticket_id: str) -> tuple[Ticket, str] | None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            pk, rk = ticket_keys(ticket_id)
        except KeyError:
            return None
        try:
            entity = self._tickets.get_entity(pk, rk)
        except ResourceNotFoundError:
            return None
        return entity_to_ticket(entity), entity.metadata["etag"]

    # -- writes ----------------------------------------------------------------------------
    def mutate(self, ticket_id: str, change: Mutation) -> Ticket | None:
        from azure.core import MatchConditions
        from azure.core.exceptions import ResourceModifiedError, ResourceNotFoundError
        from azure.data.tables import UpdateMode

        with self._lock:
            cached = self._recent.get(ticket_id)
        for attempt in range(MAX_ATTEMPTS):
            current: tuple[Ticket, str] | None
            if attempt == 0 and cached is not None:
                from_cache, current = True, (Ticket.model_validate_json(cached[0]), cached[1])
            else:
                from_cache, current = False, self._read(ticket_id)
            if current is None:
                return None
            ticket, etag = current
            before = index_rows(ticket)
            try:
                unchanged = change(ticket) is False
            except Exception:
                if from_cache:  # e.g. "invalid transition", judged on a copy that may be stale
                    continue
                raise
            if unchanged:
                if from_cache:
                    # Nothing to write, so no etag check would catch a stale copy (another process
                    # may have moved the ticket on): decide again on what storage holds.
                    continue
                return ticket
            entity = ticket_to_entity(ticket)
            try:
                meta = self._tickets.update_entity(entity, mode=UpdateMode.REPLACE,
                                                   etag=etag, match_condition=MatchConditions.IfNotModified)
            except (ResourceModifiedError, ResourceNotFoundError):
                time.sleep(min(0.002 * attempt, 0.05))
                continue
            self._remember(ticket.id, entity_doc(entity), meta["etag"])
            self._write_index(before, index_rows(ticket))
            return ticket
        raise ConcurrencyError(f"ticket {ticket_id}: too many concurrent writers")

    def _write_index(self, before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]]) -> None:
        calls = [functools.partial(self._work.upsert_entity, row) for rk, row in after.items()
                 if before.get(rk) != row and rk not in self._months_seen]
        calls += [functools.partial(self._delete_index_row, rk) for rk in before.keys() - after.keys()]
        run_together(*calls)
        self._months_seen.update(rk for rk in after if rk.startswith("month|"))

    def _delete_index_row(self, row_key: str) -> None:
        from azure.core.exceptions import ResourceNotFoundError

        try:
            self._work.delete_entity(WORK_PARTITION, row_key)
        except ResourceNotFoundError:
            pass

    # -- helpers ---------------------------------------------------------------------------
    @staticmethod
    def _dedup_keys(dedup_key: str) -> tuple[str, str]:
        import hashlib

        digest = hashlib.sha256(dedup_key.encode()).hexdigest()
        return digest[:2], digest

    def _remember(self, ticket_id: str, doc: str, etag: str) -> None:
        """Keeps the stored JSON: callers may go on editing the ticket they were handed."""
        with self._lock:
            self._recent[ticket_id] = (doc, etag)
            self._recent.move_to_end(ticket_id)
            while len(self._recent) > 2000:
                self._recent.popitem(last=False)

    def _remember_claim(self, dedup_key: str, ticket_id: str) -> None:
        with self._lock:
            self._claims[dedup_key] = ticket_id
            while len(self._claims) > 20000:
                self._claims.popitem(last=False)
