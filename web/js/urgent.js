// Toast once per ticket when it is (or becomes) a P1/P2 that still needs a response.

import { showToast } from './toast.js';
import { ticketHref } from './router.js';
import { sourceLabel } from './format.js';

const URGENT = new Set(['P1', 'P2']);
const RANK = { P1: 1, P2: 2, P3: 3, P4: 4 };
const lastPriority = new Map(); // id -> priority seen in this page's session
const announced = new Set();
const MEMORY = 2000; // bounded: a long-open page must not grow without limit

function remember(id, priority) {
  lastPriority.delete(id);
  lastPriority.set(id, priority);
  if (lastPriority.size > MEMORY) lastPriority.delete(lastPriority.keys().next().value);
}

export function shouldAnnounce(summary, previousPriority) {
  if (!URGENT.has(summary.priority) || announced.has(summary.id)) return false;
  if (summary.status !== 'open' && summary.status !== 'pipeline_error') return false;
  if (summary.change === 'created') return true;
  return previousPriority !== undefined && RANK[summary.priority] < (RANK[previousPriority] || 9);
}

export function noticeUrgent(summary) {
  const previous = lastPriority.get(summary.id);
  remember(summary.id, summary.priority);
  if (!shouldAnnounce(summary, previous)) return;
  announced.add(summary.id);
  if (announced.size > MEMORY) announced.delete(announced.values().next().value);
  const subject = summary.pipeline || summary.job || summary.resource || sourceLabel(summary.source);
  showToast({
    title: `New ${summary.priority} ticket: ${subject}`,
    body: summary.title || summary.id,
    href: ticketHref(summary.id),
    linkText: `Open ${summary.id}`,
    tone: summary.priority === 'P1' ? 'critical' : 'high',
  });
}
