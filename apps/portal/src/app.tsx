import { useCallback, useEffect, useState } from 'react';
import { api, ApiFailure, type Session, useCsrfToken } from './api.js';
import { Link, navigate, usePath } from './router.js';
import { SessionContext } from './session.js';
import { operatorZone, today } from './time.js';
import { LoginPage } from './pages/login.js';
import { PAGES, findPage } from './pages/index.js';

type Boot = { state: 'loading' } | { state: 'out' } | { state: 'in'; session: Session };

export function App() {
  const [boot, setBoot] = useState<Boot>({ state: 'loading' });
  const enter = useCallback((session: Session) => {
    useCsrfToken(session.csrfToken);
    setBoot({ state: 'in', session });
  }, []);
  useEffect(() => {
    api<Session>('GET', '/session').then(enter, (err) => {
      if (!(err instanceof ApiFailure) || err.status !== 401) console.warn('session check failed', err);
      setBoot({ state: 'out' });
    });
  }, [enter]);

  if (boot.state === 'loading') return <main className="container" aria-busy="true" />;
  if (boot.state === 'out') return <LoginPage onLoggedIn={enter} />;
  const logout = async () => {
    await api('DELETE', '/session').catch(() => undefined);
    useCsrfToken(undefined);
    setBoot({ state: 'out' });
    navigate('/');
  };
  return (
    <SessionContext.Provider value={boot.session}>
      <Shell session={boot.session} onLogout={logout} />
    </SessionContext.Provider>
  );
}

function Shell({ session, onLogout }: { session: Session; onLogout: () => void }) {
  const path = usePath();
  const { page, params } = findPage(path);
  useEffect(() => {
    document.title = `${page.title} · Ferry portal`;
  }, [page]);
  return (
    <>
      <a className="skip-link" href="#content">
        Skip to content
      </a>
      <header>
        <nav className="portal-nav" aria-label="Main">
          <ul>
            <li>
              <strong>Ferry</strong>
            </li>
          </ul>
          <ul>
            {PAGES.filter((p) => p.nav).map((p) => (
              <li key={p.path}>
                <Link to={p.path} aria-current={p === page ? 'page' : undefined}>
                  {p.title}
                </Link>
              </li>
            ))}
            {session.scopes.includes('admin:operate') || session.scopes.includes('admin:write') ? (
              <li>
                <a href="/portal/queues">Queues</a>
              </li>
            ) : null}
          </ul>
          <ul>
            <li className="muted">
              {session.user.username} ({session.user.role}) · {operatorZone} · today {today()}
            </li>
            <li>
              <button type="button" className="secondary outline" onClick={onLogout}>
                Log out
              </button>
            </li>
          </ul>
        </nav>
      </header>
      <main id="content" className="container-fluid">
        <h1>{page.title}</h1>
        <page.component params={params} />
      </main>
    </>
  );
}
