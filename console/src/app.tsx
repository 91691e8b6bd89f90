import { useCallback, useEffect, useState } from 'preact/hooks';
import { api } from './api.ts';
import { LoginPage } from './login.tsx';
import { PAGE_VIEWS } from './pages/index.ts';
import { PAGES, useRoute } from './router.ts';
import { type Organization, SessionProvider, type User, useSession } from './session.tsx';
import { Button } from './ui/button.tsx';
import { Spinner } from './ui/spinner.tsx';

type Profile = { user: User; organizations: Organization[] };

/** Logged out → the login form; logged in → the shell with the current page. */
export function App() {
  const [profile, setProfile] = useState<Profile | null | undefined>(undefined);
  const load = useCallback(() => {
    api<Profile>('GET', '/api/v1/auth/profile').then(setProfile, () => setProfile(null));
  }, []);
  useEffect(load, [load]);
  const loggedOut = useCallback(() => setProfile(null), []);

  if (profile === undefined) return <Spinner label="Loading the console…" />;
  if (profile === null) return <LoginPage onLogin={load} />;
  return (
    <SessionProvider profile={profile} onLogout={loggedOut}>
      <Shell />
    </SessionProvider>
  );
}

function Shell() {
  const route = useRoute();
  const [navOpen, setNavOpen] = useState(false);
  const Page = PAGE_VIEWS[route.page].view;
  useEffect(() => {
    setNavOpen(false);
    document.title = `${PAGE_VIEWS[route.page].label} · Switchboard`;
  }, [route.page]);
  return (
    <div class="shell">
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="topbar">
        <Button
          variant="ghost"
          class="nav-toggle"
          aria-expanded={navOpen}
          aria-controls="nav"
          onClick={() => setNavOpen(!navOpen)}
        >
          Menu
        </Button>
        <span class="brand">Switchboard</span>
        <Pickers />
        <UserMenu />
      </header>
      <nav id="nav" class={`sidenav${navOpen ? ' open' : ''}`} aria-label="Console">
        <ul>
          {PAGES.map((name) => (
            <li key={name}>
              <a href={`#/${name}`} aria-current={route.page === name ? 'page' : undefined}>
                {PAGE_VIEWS[name].label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <main id="main" class="content" tabIndex={-1}>
        <Page />
      </main>
    </div>
  );
}

/** Organization, project and agent choosers; every page works on the chosen agent. */
function Pickers() {
  const s = useSession();
  return (
    <div class="pickers">
      <label>
        <span class="visually-hidden">Organization</span>
        <select
          aria-label="Organization"
          value={s.org?._id}
          onChange={(e) => s.selectOrg(e.currentTarget.value)}
        >
          {s.organizations.map((o) => (
            <option key={o._id} value={o._id}>
              {o.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span class="visually-hidden">Project</span>
        <select
          aria-label="Project"
          value={s.project?._id}
          onChange={(e) => s.selectProject(e.currentTarget.value)}
        >
          {s.projects.map((p) => (
            <option key={p._id} value={p._id}>
              {p.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        <span class="visually-hidden">Agent</span>
        <select
          aria-label="Agent"
          value={s.agent?._id}
          onChange={(e) => s.selectAgent(e.currentTarget.value)}
        >
          {s.agents.map((a) => (
            <option key={a._id} value={a._id}>
              {a.name}
            </option>
          ))}
        </select>
      </label>
    </div>
  );
}

function UserMenu() {
  const s = useSession();
  return (
    <div class="user-menu">
      <span class="user-email" title={s.user.email}>
        {s.user.email}
      </span>
      {s.role ? <span class="role-badge">{s.role}</span> : null}
      <Button variant="ghost" onClick={() => void s.logout()}>
        Log out
      </Button>
    </div>
  );
}
