// The queue: newest tickets first, filtered from the URL, paged by the server, patched in place by live events.

import { actOnTicket, exportUrl, listTickets } from '../api.js';
import { el, setText } from '../dom.js';
import { buildHash, rememberQueueHash, replaceHash } from '../router.js';
import { canRespond } from '../session.js';
import { showToast } from '../toast.js';
import { errorPanel, heading } from './common.js';
import { createFilterBar, filtersFrom, FILTER_KEYS } from './queue_filters.js';
import { matchesFilters } from './queue_rows.js';
import { createQueueTable, listedBefore } from './queue_table.js';

const PAGE_SIZES = [25, 50, 100];
const DEFAULT_LIMIT = 50;
const LIVE_GROWTH = 2; // live inserts may grow a page to twice its size; then one re-fetch trims it to a page

const MAX_LIMIT = 200; // the API's ceiling; the select offers common sizes, a link may carry any

function pageParams(params) {
  const asked = Number.parseInt(params.limit, 10);
  const limit = asked >= 1 && asked <= MAX_LIMIT ? asked : DEFAULT_LIMIT;
  return { filters: filtersFrom(params), limit, cursor: params.cursor || '' };
}

export function createQueueView() {
  const state = { filters: {}, limit: DEFAULT_LIMIT, cursor: '', previous: [], next: null, loads: 0, loadStartedAt: -Infinity,
    pending: new Set() };
  const rows = createQueueTable({ canRespond, onAcknowledge: acknowledge });
  const { table } = rows;
  const filterBar = createFilterBar({ onChange: (filters, { typing }) => changeFilters(filters, typing) });
  const statusLine = el('p', { id: 'queue-status', class: 'queue-status', 'aria-live': 'polite' });
  const problem = el('div');
  const csv = el('a', { class: 'button', download: 'tickets.csv', title: 'Download the tickets matching these filters',
    text: 'Export CSV' });
  const pageSize = el('select', { id: 'page-size' }, PAGE_SIZES.map((n) => el('option', { value: String(n), text: String(n) })));
  const newButton = el('button', { type: 'button', class: 'new-tickets', hidden: true });
  const newer = el('button', { type: 'button', class: 'button', text: 'Newer' });
  const older = el('button', { type: 'button', class: 'button', text: 'Older' });
  const pageLabel = el('span', { class: 'page-label' });

  function hashFor(filters, cursor, limit) {
    return buildHash('/', { ...filters, limit: limit === DEFAULT_LIMIT ? '' : String(limit), cursor });
  }

  function writeUrl(typing) {
    const hash = hashFor(state.filters, state.cursor, state.limit);
    rememberQueueHash(hash);
    if (typing) replaceHash(hash);
    else if (location.hash !== hash) history.pushState(null, '', hash);
  }

  function changeFilters(filters, typing) {
    state.filters = filters;
    state.cursor = '';
    state.previous = [];
    writeUrl(typing);
    load();
  }

  function showControls() {
    filterBar.sync(state.filters);
    if (!PAGE_SIZES.includes(state.limit) && !pageSize.querySelector(`option[value="${state.limit}"]`)) {
      pageSize.append(el('option', { value: String(state.limit), text: String(state.limit) }));
    }
    pageSize.value = String(state.limit);
    csv.href = exportUrl(state.filters);
    newer.disabled = !state.cursor;
    older.disabled = !state.next;
    pageLabel.textContent = state.cursor ? (state.previous.length ? `Page ${state.previous.length + 1}` : 'Older page') : 'Page 1';
    const count = state.pending.size;
    newButton.hidden = count === 0;
    newButton.textContent = `${count} new or changed ticket${count === 1 ? '' : 's'} match these filters. Show them`;
  }

  function showCount() {
    const n = rows.size;
    setText(statusLine, `Showing ${n} ticket${n === 1 ? '' : 's'}, newest first.`);
  }

  async function load() {
    const mine = ++state.loads;
    state.loadStartedAt = performance.now();
    showControls();
    table.setAttribute('aria-busy', 'true');
    try {
      const page = await listTickets({ ...state.filters, limit: state.limit, cursor: state.cursor });
      if (mine !== state.loads) return; // a newer request owns the table
      problem.replaceChildren();
      state.next = page.next_cursor || null;
      if (!state.cursor) state.pending.clear();
      rows.reconcile(page.items || []);
      showCount();
    } catch (error) {
      if (mine !== state.loads) return;
      problem.replaceChildren(errorPanel(error, { action: 'load the ticket queue' }));
      setText(statusLine, 'The queue could not be loaded.');
    } finally {
      if (mine === state.loads) table.removeAttribute('aria-busy');
      showControls();
    }
  }

  function onTicket(ticket) {
    const matches = matchesFilters(ticket, state.filters);
    if (rows.get(ticket.id)) {
      rows.update(ticket, matches === false);
      return;
    }
    if (matches === false) return;
    const last = rows.last();
    const withinPage = rows.size < state.limit || !state.next || !last || listedBefore(ticket, last);
    if (matches && !state.cursor && withinPage) {
      rows.insert(ticket);
      showCount();
      // Re-fetching (rather than dropping rows) keeps the "Older" cursor true to what is on screen.
      if (rows.size > state.limit * LIVE_GROWTH) load();
    } else if (!state.cursor || ticket.change === 'created') {
      state.pending.add(ticket.id);
    }
    showControls();
  }

  // aria-disabled rather than disabled: a disabled button drops keyboard focus to <body>.
  async function acknowledge(ticket, button) {
    if (button.getAttribute('aria-disabled') === 'true') return;
    button.setAttribute('aria-disabled', 'true');
    button.setAttribute('aria-busy', 'true');
    try {
      const updated = await actOnTicket(ticket.id, 'acknowledge');
      onTicket(updated);
      showToast({ title: `Acknowledged ${ticket.id}`, tone: 'success' });
    } catch (error) {
      button.removeAttribute('aria-disabled');
      button.removeAttribute('aria-busy');
      showToast({ title: `Could not acknowledge ${ticket.id}`, body: error.message, tone: 'error' });
    }
  }

  function onKey(event) {
    const typingInField = event.target.closest && event.target.closest('input, textarea, select');
    if (event.key === '/' && !typingInField && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      filterBar.focusSearch();
    }
  }

  pageSize.addEventListener('change', () => {
    state.limit = Number(pageSize.value);
    state.cursor = '';
    state.previous = [];
    writeUrl(false);
    load();
  });
  older.addEventListener('click', () => {
    state.previous.push(state.cursor);
    state.cursor = state.next;
    writeUrl(false);
    load();
  });
  newer.addEventListener('click', () => {
    state.cursor = state.previous.pop() || '';
    writeUrl(false);
    load();
  });
  newButton.addEventListener('click', () => {
    if (state.cursor) {
      state.cursor = '';
      state.previous = [];
      writeUrl(false);
    }
    load().then(() => rows.focusFirst());
  });

  return {
    mount(container, route) {
      Object.assign(state, pageParams(route.params));
      rememberQueueHash(location.hash);
      container.append(heading('Ticket queue'), filterBar.form,
        el('div', { class: 'toolbar' }, statusLine, newButton,
          el('div', { class: 'toolbar-end' }, el('label', { for: 'page-size', text: 'Per page' }), pageSize, csv)),
        problem, el('div', { class: 'table-scroll' }, table),
        el('nav', { class: 'pager', 'aria-label': 'Queue pages' }, newer, pageLabel, older));
      document.addEventListener('keydown', onKey);
      load();
    },
    update(route) {
      const next = pageParams(route.params);
      const same = FILTER_KEYS.every((key) => next.filters[key] === state.filters[key]);
      if (same && next.limit === state.limit && next.cursor === state.cursor) return true;
      if (next.cursor === state.previous[state.previous.length - 1]) state.previous.pop();
      else if (!next.cursor || !same) state.previous = [];
      Object.assign(state, next);
      rememberQueueHash(location.hash);
      load();
      return true;
    },
    unmount() {
      document.removeEventListener('keydown', onKey);
      filterBar.stop();
      state.loads += 1; // late answers must not touch a detached table
    },
    onTicket,
    onResync(liveSince) {
      if (state.loadStartedAt < liveSince) load();
    },
  };
}
