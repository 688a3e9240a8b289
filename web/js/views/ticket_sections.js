// The ticket page's read-only sections: what failed, root cause, advice, evidence, links, occurrences, similar incidents, audit.

import { el, externalLink } from '../dom.js';
import { formatDateTime, formatPercent, humanize, parseTime } from '../format.js';
import { ticketHref } from '../router.js';
import { timeline } from '../charts.js';
import { statusBadge } from './common.js';

function facts(pairs) {
  const shown = pairs.filter(([, value]) => value !== null && value !== undefined && value !== '');
  return el('dl', { class: 'facts' }, shown.map(([label, value]) => [el('dt', { text: label }),
    el('dd', {}, value instanceof Node ? value : String(value))]));
}

/** The failure as reported and fetched: the error itself, whole, and what it belongs to. */
export function failureSection(ticket) {
  const where = ticket.pipeline ? ['Pipeline', ticket.pipeline] : ['Job', ticket.job];
  return [ticket.error_message
    ? el('pre', { class: 'error-message', tabindex: '0', 'aria-label': 'Error message', text: ticket.error_message })
    : el('p', { class: 'muted', text: 'The alert carried no error message, and none was fetched yet.' }),
  facts([['Error code', ticket.error_code], ['Failure type', ticket.failure_type], where,
    [(ticket.source || '').startsWith('databricks') ? 'Task' : 'Activity', ticket.activity],
    ['Run id', ticket.run_id], ['Resource', ticket.resource], ['Cluster', ticket.cluster_id]])];
}

export function rootCauseSection(ticket) {
  const rca = ticket.rca;
  if (!rca) return el('p', { class: 'muted', text: 'The analysis has not finished yet; this page updates when it does.' });
  const tokens = rca.tokens && rca.tokens.total ? `${rca.tokens.total} tokens` : null;
  return [el('p', { class: 'root-cause', text: rca.root_cause || '—' }),
    facts([['Category', humanize(rca.category)], ['Error type', rca.error_type], ['Confidence', formatPercent(rca.confidence)],
      ['Severity', rca.severity], ['Affected', rca.affected_entity],
      ['Analysed by', [humanize(rca.source), rca.model, tokens].filter(Boolean).join(' · ')],
      ['Auto-heal possible', rca.auto_heal_possible ? 'Yes' : 'No'],
      ['Documentation', externalLink(rca.documentation_url, 'Reference')]])];
}

export function recommendationsSection(ticket) {
  const items = (ticket.rca && ticket.rca.recommendations) || [];
  if (!items.length) return el('p', { class: 'muted', text: 'No recommendations yet.' });
  return el('ol', { class: 'recommendations' }, items.map((text) => el('li', { text: String(text) })));
}

export function evidenceSection(ticket) {
  const items = (ticket.rca && ticket.rca.evidence) || [];
  if (!items.length) return el('p', { class: 'muted', text: 'No evidence recorded.' });
  return el('ul', { class: 'evidence' }, items.map((text) => el('li', {}, el('code', { text: String(text) }))));
}

function slackUrl(slack) {
  if (!slack || !slack.channel || !slack.ts) return null;
  return `https://slack.com/archives/${encodeURIComponent(slack.channel)}/p${String(slack.ts).replace('.', '')}`;
}

export function linksSection(ticket) {
  const links = ticket.links || {};
  const enrichment = ticket.enrichment || {};
  const runPage = links.run_page || (enrichment.run && enrichment.run.run_page_url)
    || ((enrichment.failed_steps || []).find((s) => s.run_page_url) || {}).run_page_url;
  const runLabel = (ticket.source || '').startsWith('databricks') ? 'Databricks run' : 'Run in Azure';
  const items = [
    ticket.jira_key ? (externalLink(ticket.jira_url, `Jira ${ticket.jira_key}`) || el('span', { text: `Jira ${ticket.jira_key}` })) : null,
    externalLink(slackUrl(ticket.slack), 'Slack thread'),
    externalLink(runPage, runLabel),
    externalLink(links.search_results_ui, 'Log search results'),
    externalLink(links.portal, 'Azure portal'),
  ].filter(Boolean);
  if (!items.length) return el('p', { class: 'muted', text: 'No Jira issue, Slack thread or run link yet.' });
  return el('ul', { class: 'links' }, items.map((item) => el('li', {}, item)));
}

export function occurrencesSection(ticket) {
  const seen = (ticket.audit || []).filter((e) => e.action === 'created' || e.action === 'occurrence')
    .map((e) => parseTime(e.at)).filter((t) => !Number.isNaN(t));
  if (!seen.length) seen.push(...[ticket.first_seen_at, ticket.last_seen_at].map(parseTime).filter((t) => !Number.isNaN(t)));
  const times = [...new Set(seen)].sort((a, b) => a - b);
  return [facts([['Occurrences', ticket.occurrences ?? 1], ['First seen', formatDateTime(ticket.first_seen_at)],
    ['Last seen', formatDateTime(ticket.last_seen_at)]]),
  timeline({ title: 'Occurrences over time', times, formatTime: (t) => formatDateTime(new Date(t).toISOString()) })];
}

export function similarSection(ticket) {
  const items = ticket.similar || [];
  if (!items.length) return el('p', { class: 'muted', text: 'No similar past incidents.' });
  return el('ul', { class: 'similar' }, items.map((s) => el('li', {},
    el('a', { href: ticketHref(s.id), text: s.id }), ' ', statusBadge(s.status),
    el('span', { class: 'cell-note', text: [`created ${formatDateTime(s.created_at)}`,
      s.resolved_by ? `resolved by ${s.resolved_by}` : null, s.jira_key ? `Jira ${s.jira_key}` : null].filter(Boolean).join(' · ') }))));
}

const isEmpty = (v) => v === null || v === undefined || v === ''
  || (typeof v === 'object' && Object.keys(v).length === 0);

function detailText(details) {
  return Object.entries(details || {}).filter(([, v]) => !isEmpty(v))
    .map(([k, v]) => `${humanize(k)}: ${typeof v === 'object' ? JSON.stringify(v) : v}`).join(' · ');
}

export function auditSection(ticket) {
  const entries = ticket.audit || [];
  if (!entries.length) return el('p', { class: 'muted', text: 'No audit entries.' });
  return el('ol', { class: 'audit' }, [...entries].reverse().map((e) => el('li', {},
    el('time', { datetime: e.at, text: formatDateTime(e.at) }), ' ',
    el('strong', { text: humanize(e.action) }), ` by ${e.actor || 'unknown'}`,
    detailText(e.details) ? el('span', { class: 'audit-details', text: detailText(e.details) }) : null)));
}
