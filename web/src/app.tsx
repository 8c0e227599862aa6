/** The shell: sign-in, portal links, the header with the project switcher, navigation and the routes. */
import { useEffect, useState } from 'preact/hooks';
import { setUnauthorizedHandler, type ApiError } from './api';
import { loadSession, saveSession, type Session } from './session';
import { navigate, useLocation } from './router';
import { Link } from './ui';
import { SignIn, openPortalLink } from './screens/signin';
import { ProjectSwitcher } from './screens/project-switcher';
import { Routes } from './routes';

interface NavItem {
  href: string;
  label: string;
  /** Hidden for a portal link (the API refuses these routes to it anyway). */
  portal: boolean;
}

const NAV: NavItem[] = [
  { href: '/webhooks', label: 'Webhooks', portal: true },
  { href: '/errors', label: 'Errors', portal: true },
  { href: '/stats', label: 'Statistics', portal: true },
  { href: '/spaces', label: 'Spaces', portal: false },
  { href: '/sources', label: 'Sources', portal: false },
  { href: '/meetings', label: 'Meetings', portal: false },
  { href: '/ratings', label: 'Ratings', portal: false },
  { href: '/jobs', label: 'Jobs', portal: false },
  { href: '/portal-links', label: 'Portal links', portal: false },
];

export function App() {
  const loc = useLocation();
  const [session, setSession] = useState<Session | null>(() => (loc.path === '/portal' ? openPortalLink() : loadSession()));
  const [ended, setEnded] = useState<{ error: ApiError; portal: boolean }>();

  useEffect(() => {
    setUnauthorizedHandler((error) => {
      const portal = loadSession()?.kind === 'portal'; // the session this 401 ends
      saveSession(null);
      setSession(null);
      // The first 401 tells what ended: calls still in flight fail after it, sessionless.
      setEnded((first) => first ?? { error, portal });
    });
  }, []);

  // Moves focus to the new page's heading after a client-side navigation.
  useEffect(() => {
    document.getElementById('page-title')?.focus();
  }, [loc.path]);

  if (!session) {
    return (
      <SignIn
        ended={ended?.error}
        endedPortal={ended?.portal}
        onSignedIn={(s) => {
          saveSession(s);
          setEnded(undefined);
          setSession(s);
          if (loc.path === '/' || loc.path === '/signin' || loc.path === '/portal') navigate('/webhooks', { replace: true });
        }}
      />
    );
  }
  if (loc.path === '/' || loc.path === '/signin' || loc.path === '/portal') {
    queueMicrotask(() => navigate('/webhooks', { replace: true }));
  }

  const signOut = () => {
    saveSession(null);
    setSession(null);
    navigate('/signin', { replace: true });
  };
  const nav = NAV.filter((n) => session.kind !== 'portal' || n.portal);

  return (
    <div class="shell">
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <Link href="/webhooks" class="brand">
          Hookbridge
        </Link>
        {session.kind === 'admin' && (
          <ProjectSwitcher
            session={session}
            onChange={(project) => {
              const s = { ...session, project };
              saveSession(s);
              setSession(s);
            }}
          />
        )}
        {session.kind === 'portal' && <span class="badge badge-portal">Portal</span>}
        <button type="button" class="secondary signout" onClick={signOut}>
          Sign out
        </button>
      </header>
      <nav class="main-nav" aria-label="Main">
        <ul>
          {nav.map((n) => (
            <li key={n.href}>
              <Link href={n.href} aria-current={loc.path === n.href || loc.path.startsWith(`${n.href}/`) ? 'page' : undefined}>
                {n.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" tabIndex={-1} key={`${session.kind}:${session.project ?? ''}`}>
        <Routes loc={loc} session={session} />
      </main>
    </div>
  );
}
