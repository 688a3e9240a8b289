// Acknowledge / Resolve / Reopen for one ticket, with an optional note that lands in the audit trail.

import { actOnTicket } from '../api.js';
import { el } from '../dom.js';
import { canRespond, RESPONDER_ROLE } from '../session.js';
import { showToast } from '../toast.js';

const ACTIONS = {
  acknowledge: { label: 'Acknowledge', done: 'Acknowledged' },
  resolve: { label: 'Resolve', done: 'Resolved' },
  reopen: { label: 'Reopen', done: 'Reopened' },
};

export function actionsFor(status) {
  if (status === 'open' || status === 'pipeline_error') return ['acknowledge', 'resolve'];
  if (status === 'acknowledged') return ['resolve'];
  if (status === 'resolved') return ['reopen'];
  return [];
}

/** onUpdated(ticket) receives the ticket the API returns after an action. */
export function createActions({ ticketId, onUpdated }) {
  const note = el('textarea', { id: 'action-note', name: 'note', rows: '2', maxlength: '2000',
    placeholder: 'What you found or did (optional)' });
  const buttons = el('div', { class: 'action-buttons' });
  const message = el('p', { class: 'action-message', tabindex: '-1', 'aria-live': 'polite' });
  const form = el('form', { class: 'actions', 'aria-label': 'Ticket actions' },
    el('div', { class: 'field' }, el('label', { for: 'action-note', text: 'Note' }), note), buttons, message);
  form.addEventListener('submit', (event) => event.preventDefault());
  let shownFor = null;

  async function run(action, button) {
    for (const b of buttons.querySelectorAll('button')) b.disabled = true;
    button.setAttribute('aria-busy', 'true');
    message.textContent = `${ACTIONS[action].label}…`;
    try {
      const updated = await actOnTicket(ticketId, action, note.value.trim());
      note.value = '';
      message.textContent = `${ACTIONS[action].done}.`;
      onUpdated(updated);
      message.focus(); // the button just pressed is gone: keep keyboard users where the result is
    } catch (error) {
      const text = error.status === 403 ? `You need the ${RESPONDER_ROLE} role to do this.` : error.message;
      message.textContent = `Could not ${action}: ${text}`;
      showToast({ title: `Could not ${action} ${ticketId}`, body: text, tone: 'error' });
      for (const b of buttons.querySelectorAll('button')) b.disabled = false;
      button.removeAttribute('aria-busy');
      message.focus();
    }
  }

  return {
    form,
    show(status) {
      if (shownFor === status) return;
      shownFor = status;
      const allowed = canRespond();
      buttons.replaceChildren(...actionsFor(status).map((action) => el('button', {
        type: 'button', class: `button${action === 'acknowledge' ? ' button--primary' : ''}`,
        dataset: { action }, disabled: !allowed, text: ACTIONS[action].label,
        onclick: (event) => run(action, event.currentTarget),
      })));
      note.disabled = !allowed;
      if (!allowed) buttons.append(el('p', { class: 'muted', text: `Read-only: acting on tickets needs the ${RESPONDER_ROLE} role.` }));
    },
  };
}
