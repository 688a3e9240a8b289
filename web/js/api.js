// The dashboard API client: JSON over fetch, the contract's error shape turned into ApiError.

export class ApiError extends Error {
  constructor(status, code, message, details = []) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

/** Query string from an object, skipping empty values. */
export function toQuery(params) {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params || {})) {
    if (value !== undefined && value !== null && value !== '') query.set(key, String(value));
  }
  const text = query.toString();
  return text ? `?${text}` : '';
}

async function request(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, credentials: 'same-origin',
      body: body === undefined ? undefined : JSON.stringify(body) });
  } catch {
    throw new ApiError(0, 'network_error', 'The service cannot be reached. Check your connection.');
  }
  const text = await response.text();
  let data = null;
  try {
    data = text ? JSON.parse(text) : null;
  } catch {
    data = null;
  }
  if (!response.ok) {
    const error = (data && data.error) || {};
    throw new ApiError(response.status, error.code || `http_${response.status}`,
      error.message || `The service answered ${response.status}.`, error.details || []);
  }
  return data;
}

const ticketPath = (id) => `/api/tickets/${encodeURIComponent(id)}`;

export const listTickets = (params) => request('GET', `/api/tickets${toQuery(params)}`);
export const getTicket = (id) => request('GET', ticketPath(id));
export const actOnTicket = (id, action, note) => request('POST', `${ticketPath(id)}/${action}`, note ? { note } : {});
export const getSummary = (days) => request('GET', `/api/summary${toQuery({ days })}`);
export const exportUrl = (filters) => `/api/tickets/export.csv${toQuery(filters)}`;

/** The Static Web Apps principal (`/.auth/me`), or null where that endpoint does not exist (devhost). */
export async function whoAmI() {
  try {
    const response = await fetch('/.auth/me', { credentials: 'same-origin', headers: { Accept: 'application/json' } });
    if (!response.ok) return null;
    const data = await response.json();
    return { principal: (data && data.clientPrincipal) || null };
  } catch {
    return null;
  }
}
