// Entry point: routes hash changes to views, keeps one SignalR connection and one clock for the whole page.

import { listTickets } from './api.js';
import { startClock } from './clock.js';
import { connectLive } from './live.js';
import { parseHash } from './router.js';
import { loadSession, signedInName } from './session.js';
import { noticeUrgent } from './urgent.js';
import { setText } from './dom.js';
import { createQueueView } from './views/queue.js';
import { createTicketView } from './views/ticket.js';
import { createOverviewView } from './views/overview.js';
import { createNotFoundView } from './views/not_found.js';

const VIEWS = { queue: createQueueView, ticket: createTicketView, overview: createOverviewView,
  not_found: createNotFoundView };
const NAV_OF_VIEW = { queue: 'queue', ticket: 'queue', overview: 'overview' };
const CONNECTION_LABELS = { connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' };

const main = document.getElementById('main');
let current = null; // { name, view }
let downSince = null; // wall-clock ms when the live connection dropped (null while live)
const CATCH_UP_SKEW_MS = 5000; // server and browser clocks differ a little

function highlightNav(viewName) {
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === NAV_OF_VIEW[viewName]) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function route({ initial = false } = {}) {
  const next = parseHash(location.hash);
  highlightNav(next.view);
  if (current && current.name === next.view && current.view.update && current.view.update(next) !== false) return;
  if (current && current.view.unmount) current.view.unmount();
  main.replaceChildren();
  current = { name: next.view, view: VIEWS[next.view]() };
  current.view.mount(main, next);
  // Moving focus to the new heading tells keyboard and screen-reader users the page changed.
  if (!initial) (main.querySelector('h1') || main).focus({ preventScroll: false });
}

function showConnection(state, detail = {}) {
  if (state !== 'live' && state !== 'connecting' && downSince === null) downSince = Date.now();
  const indicator = document.getElementById('connection');
  indicator.dataset.state = state;
  let label = CONNECTION_LABELS[state] || state;
  if (state === 'offline' && detail.retryInMs) label = `Offline, retrying in ${Math.ceil(detail.retryInMs / 1000)}s`;
  if (detail.reason) label = `Offline: ${detail.reason}`;
  setText(indicator.querySelector('.connection-label'), label);
}

function showUser() {
  const name = signedInName();
  const user = document.getElementById('user');
  if (!name) return;
  user.textContent = name;
  user.hidden = false;
}

function onTicket(summary) {
  noticeUrgent(summary);
  if (current && current.view.onTicket) current.view.onTicket(summary);
}

/** A P1/P2 that arrived while the connection was down gets its toast too (its live event was lost). */
async function announceMissed(since) {
  try {
    const page = await listTickets({ status: 'open', priority: 'P1,P2', limit: 20 });
    for (const summary of page.items || []) {
      if (Date.parse(summary.created_at) >= since - CATCH_UP_SKEW_MS) noticeUrgent({ ...summary, change: 'created' });
    }
  } catch {
    // the view's own resync reports trouble; a missed toast is not worth a second error
  }
}

function onResync(liveSince) {
  if (downSince !== null) {
    announceMissed(downSince);
    downSince = null;
  }
  if (current && current.view.onResync) current.view.onResync(liveSince);
}

document.querySelector('.skip-link').addEventListener('click', (event) => {
  event.preventDefault(); // the fragment belongs to the router
  main.focus();
});

await loadSession();
showUser();
window.addEventListener('hashchange', () => route());
route({ initial: true });
startClock();
connectLive({ onTicket, onState: showConnection, onResync });
