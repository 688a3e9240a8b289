// Who is signed in and what they may do: roles from the Static Web Apps principal (`/.auth/me`).

import { whoAmI } from './api.js';

export const READER_ROLE = 'aiops-reader';
export const RESPONDER_ROLE = 'aiops-responder';

const session = { known: false, name: null, roles: [] };

/** Where /.auth/me is missing (devhost), the roles are unknown and the API stays the judge. */
export async function loadSession() {
  const me = await whoAmI();
  if (me && me.principal) {
    session.known = true;
    session.name = me.principal.userDetails || me.principal.userId || null;
    session.roles = Array.isArray(me.principal.userRoles) ? me.principal.userRoles : [];
  } else if (me) {
    session.known = true; // the endpoint answered: nobody is signed in
  }
  return session;
}

export function canRespond() {
  return !session.known || session.roles.includes(RESPONDER_ROLE);
}

export function signedInName() {
  return session.name;
}

export function loginHref() {
  const back = `/${location.hash || ''}`;
  return `/.auth/login/aad?post_login_redirect_uri=${encodeURIComponent(back)}`;
}
