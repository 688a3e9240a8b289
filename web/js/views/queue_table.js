// The queue's table body as a keyed list: rows are reused across fetches and live events, never rebuilt wholesale.

import { el } from '../dom.js';
import { parseTime } from '../format.js';
import { COLUMNS, createRow, flashRow, headerRow, patchRow } from './queue_rows.js';

/** The API's order: newest creation millisecond first, and within one millisecond by ticket id. */
export function listedBefore(a, b) {
  const createdA = parseTime(a.created_at);
  const createdB = parseTime(b.created_at);
  return createdA !== createdB ? createdA > createdB : a.id < b.id;
}

/** ctx is what the rows need ({ canRespond, onAcknowledge }). */
export function createQueueTable(ctx) {
  let rows = new Map(); // id -> { tr, ticket }
  const tbody = el('tbody');
  const table = el('table', { class: 'queue', 'aria-describedby': 'queue-status' },
    el('caption', { class: 'visually-hidden', text: 'Tickets, newest first' }), el('thead', {}, headerRow()), tbody);

  function place(ordered) {
    ordered.forEach((tr, index) => {
      if (tbody.children[index] !== tr) tbody.insertBefore(tr, tbody.children[index] || null);
    });
    while (tbody.children.length > ordered.length) tbody.lastElementChild.remove();
  }

  /** Rows in display order (live inserts make the map's insertion order differ from it). */
  function shown() {
    return [...tbody.rows].map((tr) => rows.get(tr.dataset.id)).filter(Boolean);
  }

  return {
    table,
    get size() {
      return rows.size;
    },
    get(id) {
      return rows.get(id);
    },
    /** The last ticket on screen, or null. */
    last() {
      const all = shown();
      return all.length ? all[all.length - 1].ticket : null;
    },
    /** Show `items` in order, reusing (and patching) the rows already there. */
    reconcile(items) {
      const keep = new Map();
      const ordered = items.map((ticket) => {
        const known = rows.get(ticket.id);
        const tr = known ? known.tr : createRow(ticket, ctx);
        if (known) patchRow(tr, ticket, ctx);
        tr.classList.remove('row--outside');
        keep.set(ticket.id, { tr, ticket });
        return tr;
      });
      rows = keep;
      if (!items.length) {
        ordered.push(el('tr', { class: 'empty' }, el('td', { colspan: String(COLUMNS.length), text: 'No tickets match these filters.' })));
      }
      place(ordered);
    },
    /** A ticket not on screen yet, put where the API would list it. */
    insert(ticket) {
      const tr = createRow(ticket, ctx);
      const before = shown().find((row) => listedBefore(ticket, row.ticket));
      tbody.querySelector('tr.empty')?.remove();
      tbody.insertBefore(tr, before ? before.tr : null);
      rows.set(ticket.id, { tr, ticket });
      flashRow(tr);
    },
    /** Patch a shown ticket in place; `outside` marks a row that no longer matches the filters. */
    update(ticket, outside) {
      const known = rows.get(ticket.id);
      known.ticket = ticket;
      if (patchRow(known.tr, ticket, ctx).length) flashRow(known.tr);
      known.tr.classList.toggle('row--outside', outside);
    },
    focusFirst() {
      tbody.querySelector('.ticket-link')?.focus();
    },
  };
}
