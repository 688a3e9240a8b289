// Short-lived notices (new P1/P2 tickets, action results) in the page's polite live region.

import { el } from './dom.js';

const TOAST_MS = 10000;
const MAX_TOASTS = 4;

export function showToast({ title, body, href, linkText = 'Open', tone = 'info' }) {
  const region = document.getElementById('toasts');
  if (!region) return null;
  const close = el('button', { type: 'button', class: 'toast-close', 'aria-label': 'Dismiss notification', text: '×' });
  const toast = el('div', { class: 'toast', dataset: { tone } },
    el('p', { class: 'toast-title', text: title }),
    body ? el('p', { class: 'toast-body', text: body }) : null,
    href ? el('a', { href, class: 'toast-link', text: linkText }) : null,
    close);
  const remove = () => toast.remove();
  close.addEventListener('click', remove);
  // A notice someone is reading (pointer or keyboard focus on it) stays until they leave it.
  let timer = setTimeout(remove, TOAST_MS);
  const hold = () => clearTimeout(timer);
  const release = () => { timer = setTimeout(remove, TOAST_MS / 2); };
  toast.addEventListener('mouseenter', hold);
  toast.addEventListener('focusin', hold);
  toast.addEventListener('mouseleave', release);
  toast.addEventListener('focusout', release);
  while (region.children.length >= MAX_TOASTS) region.firstElementChild.remove();
  region.append(toast);
  return toast;
}
