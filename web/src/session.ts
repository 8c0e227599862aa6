/**
 * Who is signed in, kept in sessionStorage (gone when the tab closes). `admin` may pick a
 * project (sent as X-Hookbridge-Project); `portal` is a customer's link: one project,
 * no admin screens.
 */
export type SessionKind = 'admin' | 'project' | 'portal';

export interface Session {
  token: string;
  kind: SessionKind;
  /** The admin's chosen project; unset: the default project. */
  project?: string;
}

const KEY = 'hookbridge.session';

export function loadSession(): Session | null {
  try {
    const raw = sessionStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Session) : null;
  } catch {
    return null;
  }
}

export function saveSession(s: Session | null): void {
  if (s) sessionStorage.setItem(KEY, JSON.stringify(s));
  else sessionStorage.removeItem(KEY);
}

/** Portal credentials start with hbp_ (API tokens with hb_ or hba_). */
export const isPortalToken = (token: string) => token.startsWith('hbp_');
