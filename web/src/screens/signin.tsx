/** Sign in with an API token, or arrive through a portal link (its credential in the URL's fragment). */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api';
import { isPortalToken, type Session } from '../session';
import { ErrorBox, Field } from '../ui';

/**
 * `/portal#token=hbp_…`: keeps the credential for this tab and takes it out of the address
 * bar (and so out of the history and of any copy of the URL).
 */
export function openPortalLink(): Session | null {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (!token) return null;
  history.replaceState(null, '', '/webhooks');
  const s: Session = { token, kind: 'portal' };
  sessionStorage.setItem('hookbridge.session', JSON.stringify(s));
  return s;
}

/** Checks a token against the API and finds out what it is: admin, project or portal. */
export async function identify(token: string): Promise<Session> {
  await api('GET', '/v1/project', undefined, { token });
  if (isPortalToken(token)) return { token, kind: 'portal' };
  try {
    await api('GET', '/v1/projects?limit=1', undefined, { token });
    return { token, kind: 'admin' };
  } catch (e) {
    if ((e as ApiError).status === 403) return { token, kind: 'project' };
    throw e;
  }
}

export function SignIn({ onSignedIn, ended, endedPortal }: { onSignedIn: (s: Session) => void; ended?: ApiError; endedPortal?: boolean }) {
  const [token, setToken] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError>();
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await identify(token.trim()));
    } catch (err) {
      setError(err as ApiError);
    } finally {
      setBusy(false);
    }
  };
  return (
    <main id="main" class="signin">
      <h1 id="page-title" tabIndex={-1}>
        Hookbridge
      </h1>
      <p>Sign in with an API token: the admin token printed on the gateway's first start, or a project token.</p>
      {ended && !error && (
        <div role="alert" class="error">
          <p>
            {endedPortal ? (
              // A customer with a link, not an operator: the token form below is not for them.
              <strong>This portal link no longer works: it has expired or was revoked. Ask whoever sent it to you for a new link.</strong>
            ) : (
              <strong>You were signed out: {ended.message}</strong>
            )}
          </p>
        </div>
      )}
      <form onSubmit={submit}>
        <Field label="API token" hint="Kept in this browser tab only (session storage) until you sign out or close it.">
          {(id, hint) => (
            <input
              id={id}
              aria-describedby={hint}
              type="password"
              autocomplete="off"
              spellcheck={false}
              required
              value={token}
              onInput={(e) => setToken(e.currentTarget.value)}
            />
          )}
        </Field>
        <ErrorBox error={error} />
        <button type="submit" disabled={busy || !token.trim()}>
          {busy ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
