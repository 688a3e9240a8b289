// Queue table rows keyed by ticket id: built once, then patched cell by cell when a ticket changes.

import { el } from '../dom.js';
import { ageText, slaBadge } from '../clock.js';
import { humanize, sourceLabel } from '../format.js';
import { ticketHref } from '../router.js';
import { priorityBadge, statusBadge } from './common.js';

const isActive = (t) => t.status === 'open' || t.status === 'pipeline_error';
const subjectOf = (t) => t.pipeline || t.job || t.resource || '—';

function ticketCell(t) {
  return [el('a', { class: 'ticket-link', href: ticketHref(t.id), text: t.title || t.id }),
    el('span', { class: 'ticket-id', text: t.id })];
}

function categoryCell(t) {
  if (!t.category) return el('span', { class: 'muted', text: t.stage === 'notified' ? '—' : 'analysing…' });
  return [el('span', { text: humanize(t.category) }), t.error_type ? el('span', { class: 'cell-note', text: t.error_type }) : null];
}

function actionsCell(t, ctx) {
  if (!ctx.canRespond() || !isActive(t)) return null;
  return el('button', { type: 'button', class: 'button button--small', dataset: { action: 'acknowledge' },
    'aria-label': `Acknowledge ${t.id}`, text: 'Acknowledge', onclick: (event) => ctx.onAcknowledge(t, event.currentTarget) });
}

// sig: the values a cell shows, so a patch rebuilds only the cells whose values changed.
export const COLUMNS = [
  { key: 'priority', label: 'Priority', sig: (t) => t.priority, render: (t) => priorityBadge(t.priority) },
  { key: 'status', label: 'Status', sig: (t) => t.status, render: (t) => statusBadge(t.status) },
  { key: 'sla', label: 'SLA', sig: (t) => `${t.status}|${t.sla_status}|${t.sla_due_at}`, render: slaBadge },
  { key: 'ticket', label: 'Ticket', sig: (t) => `${t.id}|${t.title}`, render: ticketCell },
  { key: 'source', label: 'Source', sig: (t) => t.source, render: (t) => sourceLabel(t.source) },
  { key: 'subject', label: 'Pipeline / job', sig: subjectOf, render: subjectOf },
  { key: 'category', label: 'Category', sig: (t) => `${t.category}|${t.error_type}|${t.stage}`, render: categoryCell },
  { key: 'team', label: 'Team', sig: (t) => t.team, render: (t) => t.team || '—' },
  { key: 'age', label: 'Age', sig: (t) => t.created_at, render: (t) => ageText(t.created_at) },
  { key: 'occurrences', label: 'Seen', numeric: true, sig: (t) => String(t.occurrences),
    render: (t) => String(t.occurrences ?? 1) },
  { key: 'actions', label: 'Actions', sig: (t, ctx) => `${t.status}|${ctx.canRespond()}`, render: actionsCell },
];

export function headerRow() {
  return el('tr', {}, COLUMNS.map((c) => el('th', { scope: 'col', class: c.numeric ? 'numeric' : null,
    dataset: { col: c.key }, text: c.label })));
}

function fillCell(td, column, ticket, ctx) {
  td.replaceChildren();
  const content = column.render(ticket, ctx);
  for (const part of [content].flat()) if (part !== null && part !== undefined) td.append(part);
  td.dataset.sig = column.sig(ticket, ctx);
}

export function createRow(ticket, ctx) {
  const tr = el('tr', { dataset: { id: ticket.id, priority: ticket.priority || '' } });
  for (const column of COLUMNS) {
    // data-label names the column where a narrow screen shows rows as cards (views.css).
    const td = el('td', { class: column.numeric ? 'numeric' : null, dataset: { col: column.key, label: column.label } });
    fillCell(td, column, ticket, ctx);
    tr.append(td);
  }
  return tr;
}

/** Rebuild only the changed cells; focus inside a rebuilt cell moves to the row's ticket link. Returns the changed keys. */
export function patchRow(tr, ticket, ctx) {
  const changed = [];
  tr.dataset.priority = ticket.priority || '';
  for (const [index, column] of COLUMNS.entries()) {
    const td = tr.cells[index];
    if (td.dataset.sig === column.sig(ticket, ctx)) continue;
    const hadFocus = td.contains(document.activeElement);
    fillCell(td, column, ticket, ctx);
    changed.push(column.key);
    if (hadFocus) (td.querySelector('a, button') || tr.querySelector('.ticket-link')).focus();
  }
  return changed;
}

/** Briefly highlight a row that changed live (the animation is skipped for reduced motion in CSS). */
export function flashRow(tr) {
  tr.classList.remove('row--changed');
  void tr.offsetWidth; // restart the animation when the same row changes twice in a row
  tr.classList.add('row--changed');
}

function anyOf(filter, value) {
  if (!filter) return true;
  const wanted = filter.toLowerCase().split(',').map((v) => v.trim()).filter(Boolean);
  return wanted.includes(String(value ?? '').toLowerCase());
}

/**
 * Whether a ticket from a live event belongs under the current filters: true, false, or null when only the
 * server can tell (its search also reads error messages and root causes the summary does not carry).
 */
export function matchesFilters(ticket, filters) {
  for (const key of ['status', 'priority', 'source', 'category', 'team', 'severity']) {
    if (!anyOf(filters[key], ticket[key])) return false;
  }
  if (!filters.q) return true;
  const haystack = [ticket.id, ticket.title, ticket.pipeline, ticket.job, ticket.resource, ticket.run_id,
    ticket.jira_key, ticket.team, ticket.error_type, ticket.category].filter(Boolean).join(' ').toLowerCase();
  return filters.q.toLowerCase().split(/\s+/).every((term) => haystack.includes(term)) ? true : null;
}
