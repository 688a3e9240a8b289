// Pieces every view uses: headings, badges, and the panel that explains an API error to a person.

import { el } from '../dom.js';
import { humanize } from '../format.js';
import { loginHref, READER_ROLE } from '../session.js';

export function heading(text) {
  return el('h1', { tabindex: '-1', text });
}

export function priorityBadge(priority) {
  return el('span', { class: 'badge badge--priority', dataset: { priority: priority || 'none' }, text: priority || '—' });
}

export function statusBadge(status) {
  return el('span', { class: 'badge badge--status', dataset: { status: status || 'none' }, text: humanize(status) });
}

/** Why a view could not load, in words an engineer can act on; 401 offers sign-in, 403 names the role. */
export function errorPanel(error, { action = 'load this page' } = {}) {
  const panel = el('div', { class: 'panel panel--error', role: 'alert' });
  if (error.status === 401) {
    panel.append(el('p', { text: `Sign in to ${action}.` }),
      el('a', { class: 'button', href: loginHref(), text: 'Sign in' }));
  } else if (error.status === 403) {
    panel.append(el('p', { text: `Your account lacks the ${READER_ROLE} role needed to ${action}. Ask an admin to assign it.` }));
  } else {
    panel.append(el('p', { text: `Could not ${action}: ${error.message || 'unexpected error'}` }));
    // The API says which field was wrong and what it accepts (a bad filter in a shared link, say).
    const problems = (error.details || []).filter((d) => d && d.field && d.problem);
    if (problems.length) panel.append(el('ul', {}, problems.map((d) => el('li', { text: `${d.field}: ${d.problem}` }))));
    if (error.code && error.code !== 'network_error') panel.append(el('p', { class: 'muted', text: `Error code: ${error.code}` }));
  }
  return panel;
}
