// The page's one timer: every SLA countdown and age on screen carries data-due / data-since and is refreshed here.

import { el, setData, setText } from './dom.js';
import { formatCountdown, formatDateTime, formatDuration, parseTime } from './format.js';

const TICK_MS = 1000;
let timer = null;

/** How urgent a deadline is, from the share of the response window that is left. */
export function urgency(remainingMs, windowMs) {
  if (remainingMs < 0) return 'overdue';
  const share = windowMs > 0 ? remainingMs / windowMs : 1;
  if (share < 0.2 || remainingMs < 2 * 60 * 1000) return 'urgent';
  if (share < 0.5) return 'warn';
  return 'ok';
}

function renderCountdown(node, now) {
  const remaining = Number(node.dataset.due) - now;
  setText(node, formatCountdown(remaining));
  setData(node, 'urgency', urgency(remaining, Number(node.dataset.window)));
}

function renderAge(node, now) {
  setText(node, formatDuration((now - Number(node.dataset.since)) / 1000));
}

export function tick(root = document, now = Date.now()) {
  for (const node of root.querySelectorAll('[data-due]')) renderCountdown(node, now);
  for (const node of root.querySelectorAll('[data-since]')) renderAge(node, now);
}

export function startClock() {
  if (timer === null) timer = setInterval(tick, TICK_MS);
}

function isActive(ticket) {
  return ticket.status === 'open' || ticket.status === 'pipeline_error';
}

/** The SLA cell of a ticket: a live countdown while the response is due, else its settled outcome. */
export function slaBadge(ticket) {
  const due = parseTime(ticket.sla_due_at);
  const title = Number.isNaN(due) ? 'No response deadline' : `Response due ${formatDateTime(ticket.sla_due_at)}`;
  if (ticket.sla_status === 'met') return el('span', { class: 'sla', title, dataset: { urgency: 'met' }, text: 'met' });
  if (!isActive(ticket) || Number.isNaN(due)) {
    const breached = ticket.sla_status === 'breached';
    return el('span', { class: 'sla', title, dataset: { urgency: breached ? 'breached' : 'none' },
      text: breached ? 'breached' : '—' });
  }
  const created = parseTime(ticket.created_at);
  const node = el('span', { class: 'sla sla--live', title,
    dataset: { due: String(due), window: String(Number.isNaN(created) ? 0 : due - created) } });
  renderCountdown(node, Date.now());
  return node;
}

/** A live age ("12m") since an ISO time, refreshed by the shared timer. */
export function ageText(iso) {
  const since = parseTime(iso);
  if (Number.isNaN(since)) return el('span', { text: '—' });
  const node = el('time', { datetime: iso, title: formatDateTime(iso), dataset: { since: String(since) } });
  renderAge(node, Date.now());
  return node;
}
