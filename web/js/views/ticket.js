// One ticket: what failed, why, what to do, who did what; refreshed in place when a live event names it.

import { getTicket } from '../api.js';
import { el, setText } from '../dom.js';
import { slaBadge } from '../clock.js';
import { formatDateTime, sourceLabel } from '../format.js';
import { lastQueueHash } from '../router.js';
import { errorPanel, heading, priorityBadge, statusBadge } from './common.js';
import { createActions } from './ticket_actions.js';
import { auditSection, evidenceSection, failureSection, linksSection, occurrencesSection, recommendationsSection, rootCauseSection,
  similarSection } from './ticket_sections.js';
import { openStepKeys, stepsSection } from './ticket_steps.js';

const REFRESH_DELAY_MS = 250; // several stage events often arrive together: fetch once

// key, heading, what the section depends on (its signature), how to draw it.
const SECTIONS = [
  ['failure', 'What failed', (t) => [t.error_message, t.error_code, t.failure_type, t.pipeline, t.job, t.activity,
    t.run_id, t.resource, t.cluster_id], failureSection, 'main'],
  ['root-cause', 'Root cause', (t) => t.rca, rootCauseSection, 'main'],
  ['recommendations', 'Recommendations', (t) => t.rca && t.rca.recommendations, recommendationsSection, 'main'],
  ['evidence', 'Evidence', (t) => t.rca && t.rca.evidence, evidenceSection, 'main'],
  ['steps', 'Failed tasks and activities', (t) => t.enrichment, null, 'main'],
  ['occurrences', 'Occurrences', (t) => [t.occurrences, t.first_seen_at, t.last_seen_at, (t.audit || []).length], occurrencesSection, 'main'],
  ['links', 'Links', (t) => [t.jira_key, t.jira_url, t.slack, t.links, t.enrichment && t.enrichment.run], linksSection, 'side'],
  ['similar', 'Similar past incidents', (t) => t.similar, similarSection, 'side'],
  ['audit', 'Audit trail', (t) => t.audit, auditSection, 'wide'],
];

export function createTicketView() {
  let ticketId = null;
  let loads = 0;
  let refreshTimer = null;
  let loadStartedAt = -Infinity;
  const title = heading('Loading ticket…');
  const meta = el('div', { class: 'ticket-meta' });
  const problem = el('div');
  const body = el('div', { class: 'ticket-body', hidden: true });
  const columns = { main: el('div', { class: 'ticket-main' }), side: el('div', { class: 'ticket-side' }), wide: el('div', { class: 'ticket-wide' }) };
  const sections = new Map(); // key -> { content, sig }
  let actions = null;

  function buildSkeleton() {
    actions = createActions({ ticketId, onUpdated: render });
    columns.side.append(el('section', { class: 'card', 'aria-labelledby': 'h-actions' },
      el('h2', { id: 'h-actions', text: 'Actions' }), actions.form));
    for (const [key, label, , , column] of SECTIONS) {
      const content = el('div', { class: 'section-content' });
      columns[column].append(el('section', { class: 'card', id: `section-${key}`, 'aria-labelledby': `h-${key}` },
        el('h2', { id: `h-${key}`, text: label }), content));
      sections.set(key, { content, sig: null });
    }
    body.append(columns.main, columns.side, columns.wide);
  }

  function renderMeta(t) {
    const subject = t.pipeline || t.job || t.resource;
    meta.replaceChildren(...[
      el('span', { class: 'ticket-id', text: t.id }), priorityBadge(t.priority), statusBadge(t.status),
      el('span', { class: 'meta-item' }, 'SLA ', slaBadge(t)),
      el('span', { class: 'meta-item', text: sourceLabel(t.source) }),
      subject ? el('span', { class: 'meta-item', text: subject }) : null,
      el('span', { class: 'meta-item', text: `Team ${t.team || 'unassigned'}` }),
      el('span', { class: 'meta-item', text: `Created ${formatDateTime(t.created_at)}` }),
      t.acknowledged_at ? el('span', { class: 'meta-item', text: `Acknowledged ${formatDateTime(t.acknowledged_at)}` }) : null,
      t.resolved_at ? el('span', { class: 'meta-item', text: `Resolved ${formatDateTime(t.resolved_at)}` }) : null,
    ].filter(Boolean));
  }

  function render(t) {
    setText(title, t.title || t.id);
    document.title = `${t.id} · AIOps RCA Assistant`;
    renderMeta(t);
    actions.show(t.status);
    for (const [key, , signatureOf, draw] of SECTIONS) {
      const section = sections.get(key);
      const sig = JSON.stringify(signatureOf(t) ?? null);
      if (sig === section.sig) continue; // untouched sections keep their scroll, focus and open panels
      const content = key === 'steps' ? stepsSection(t.enrichment, openStepKeys(section.content)) : draw(t);
      section.content.replaceChildren(...[content].flat(2).filter(Boolean));
      section.sig = sig;
    }
    body.hidden = false;
  }

  async function load() {
    const mine = ++loads;
    loadStartedAt = performance.now();
    try {
      const t = await getTicket(ticketId);
      if (mine !== loads) return;
      problem.replaceChildren();
      render(t);
    } catch (error) {
      if (mine !== loads) return;
      if (error.status === 404) setText(title, 'Ticket not found');
      problem.replaceChildren(errorPanel(error, { action: 'load this ticket' }));
    }
  }

  return {
    mount(container, route) {
      ticketId = route.id;
      buildSkeleton();
      container.append(el('p', { class: 'back' }, el('a', { href: lastQueueHash(), text: '← Back to the queue' })),
        title, meta, problem, body);
      load();
    },
    update(route) {
      return route.id === ticketId; // another ticket gets a fresh view
    },
    unmount() {
      clearTimeout(refreshTimer);
      loads += 1;
      document.title = 'AIOps RCA Assistant';
    },
    onTicket(summary) {
      if (summary.id !== ticketId) return;
      clearTimeout(refreshTimer);
      refreshTimer = setTimeout(load, REFRESH_DELAY_MS);
    },
    onResync(liveSince) {
      if (loadStartedAt < liveSince) load();
    },
  };
}
