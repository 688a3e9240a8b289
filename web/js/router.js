// Hash routes (#/, #/tickets/<id>, #/overview) with their query, so Static Web Apps needs one fallback only.

export function parseHash(hash) {
  const raw = (hash || '').replace(/^#/, '') || '/';
  const mark = raw.indexOf('?');
  const path = mark < 0 ? raw : raw.slice(0, mark);
  const params = Object.fromEntries(new URLSearchParams(mark < 0 ? '' : raw.slice(mark + 1)));
  const segments = path.split('/').filter(Boolean).map((part) => {
    try {
      return decodeURIComponent(part);
    } catch {
      return part;
    }
  });
  if (segments.length === 0) return { view: 'queue', params };
  if (segments[0] === 'tickets' && segments.length === 2) return { view: 'ticket', id: segments[1], params };
  if (segments[0] === 'overview' && segments.length === 1) return { view: 'overview', params };
  return { view: 'not_found', params };
}

export function buildHash(path, params = {}) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  const text = query.toString();
  return `#${path}${text ? `?${text}` : ''}`;
}

export const ticketHref = (id) => `#/tickets/${encodeURIComponent(id)}`;

/** Change the hash without a history entry (typing in a filter should not fill the back button). */
export function replaceHash(hash) {
  if (location.hash !== hash) history.replaceState(history.state, '', hash);
}

// The queue address the user last saw, so "back to the queue" keeps their filters.
let queueHash = '#/';

export function rememberQueueHash(hash) {
  queueHash = hash || '#/';
}

export function lastQueueHash() {
  return queueHash;
}
