// The failed tasks / activities the enrichment stage found, each with its (collapsible) error trace.

import { el, externalLink } from '../dom.js';
import { humanize } from '../format.js';

function keyValues(object, skip = []) {
  const entries = Object.entries(object || {}).filter(([key, value]) => !skip.includes(key)
    && value !== null && value !== undefined && value !== '' && typeof value !== 'object');
  if (!entries.length) return null;
  return el('dl', { class: 'facts' }, entries.map(([key, value]) => [el('dt', { text: humanize(key) }), el('dd', { text: String(value) })]));
}

function stepKey(step, index) {
  return `${index}:${step.name || ''}`;
}

function stepDetails(step, index, openKeys) {
  const key = stepKey(step, index);
  const label = [step.name || `Step ${index + 1}`, step.kind ? humanize(step.kind) : null, step.error_code].filter(Boolean).join(' · ');
  const details = el('details', { class: 'step', dataset: { key } },
    el('summary', {}, el('span', { class: 'step-name', text: label })),
    step.error_message ? el('p', { class: 'step-message', text: step.error_message }) : null,
    step.error_trace ? el('pre', { class: 'trace', tabindex: '0', 'aria-label': `Error trace of ${step.name || 'this step'}`, text: step.error_trace }) : null,
    keyValues(step, ['name', 'kind', 'error_code', 'error_message', 'error_trace', 'run_page_url']),
    externalLink(step.run_page_url, 'Open this run'));
  // The first failure is what people read first; any a person opened stays open across live refreshes.
  if (openKeys ? openKeys.has(key) : index === 0) details.open = true;
  return details;
}

/** Which step panels are open now, so a re-render after a live update keeps them open. */
export function openStepKeys(container) {
  const open = [...container.querySelectorAll('details.step[open]')].map((d) => d.dataset.key);
  return container.querySelector('details.step') ? new Set(open) : null;
}

export function stepsSection(enrichment, openKeys) {
  const steps = (enrichment && enrichment.failed_steps) || [];
  const notes = (enrichment && enrichment.notes) || [];
  const parts = [];
  if (!enrichment || !Object.keys(enrichment).length) parts.push(el('p', { class: 'muted', text: 'Not enriched yet.' }));
  else if (!steps.length) parts.push(el('p', { class: 'muted', text: 'No failed task or activity was reported.' }));
  parts.push(steps.map((step, index) => stepDetails(step, index, openKeys)));
  if (enrichment && enrichment.run) parts.push(el('h3', { text: 'Run' }), keyValues(enrichment.run, ['run_page_url']));
  if (enrichment && enrichment.cluster) parts.push(el('h3', { text: 'Cluster' }), keyValues(enrichment.cluster));
  if (notes.length) parts.push(el('h3', { text: 'Notes' }), el('ul', {}, notes.map((n) => el('li', { text: String(n) }))));
  return parts;
}
