import { render } from 'preact';
import { useEffect, useMemo, useState } from 'preact/hooks';
import { ClientContext, clientFor } from './api';
import { LiveUpdates, useLiveMode } from './live';
import { ComparePage } from './pages/Compare';
import { DatasetsPage } from './pages/Datasets';
import { ModelsPage } from './pages/Models';
import { RunDetailPage } from './pages/RunDetail';
import { RunsPage } from './pages/Runs';
import { SchedulesPage } from './pages/Schedules';
import { SignIn } from './pages/SignIn';
import { useRoute, type Route } from './router';
import { forgetKey, storedKey } from './session';
import './styles.css';

const NAV = [
  ['runs', 'Runs'],
  ['compare', 'Compare'],
  ['models', 'Models'],
  ['datasets', 'Datasets'],
  ['schedules', 'Schedules'],
] as const;

function Page({ route, live }: { route: Route; live: LiveUpdates }) {
  const [section, id] = route.parts;
  switch (section ?? 'runs') {
    case 'runs':
      return id ? <RunDetailPage id={id} live={live} /> : <RunsPage live={live} query={route.query} />;
    case 'compare':
      return <ComparePage query={route.query} live={live} />;
    case 'models':
      return <ModelsPage id={id} live={live} />;
    case 'datasets':
      return <DatasetsPage id={id} />;
    case 'schedules':
      return <SchedulesPage name={id} />;
    default:
      return (
        <p class="notice" role="alert">
          No page at #{route.parts.join('/')}. <a href="#/runs">Go to the runs</a>.
        </p>
      );
  }
}

function App() {
  const [key, setKey] = useState(storedKey);
  const route = useRoute();
  const client = useMemo(() => (key ? clientFor(key) : null), [key]);
  const live = useMemo(() => (client ? new LiveUpdates(client) : null), [client]);
  useEffect(() => {
    live?.start();
    return () => live?.stop();
  }, [live]);

  useEffect(() => {
    const [section] = route.parts;
    const label = NAV.find(([path]) => path === (section ?? 'runs'))?.[1] ?? 'maskgen';
    document.title = `${label} · maskgen`;
  }, [route]);

  if (!client || !live) return <SignIn onSignedIn={setKey} />;
  const section = route.parts[0] ?? 'runs';
  return (
    <ClientContext.Provider value={client}>
      <a
        class="skip"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          document.getElementById('main')?.focus();
        }}
      >
        Skip to content
      </a>
      <header class="top">
        <span class="brand">maskgen</span>
        <nav aria-label="Main">
          <ul>
            {NAV.map(([path, label]) => (
              <li key={path}>
                <a href={`#/${path}`} aria-current={section === path ? 'page' : undefined}>
                  {label}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <LiveIndicator live={live} />
        <button
          type="button"
          class="secondary"
          onClick={() => {
            forgetKey();
            setKey(null);
          }}
        >
          Sign out
        </button>
      </header>
      <main id="main" tabIndex={-1}>
        <Page route={route} live={live} />
      </main>
    </ClientContext.Provider>
  );
}

function LiveIndicator({ live }: { live: LiveUpdates }) {
  const mode = useLiveMode(live);
  const text = mode === 'events' ? 'live' : mode === 'polling' ? 'live (polling)' : 'connecting…';
  return (
    <span
      class={`live live-${mode}`}
      role="status"
      title={
        mode === 'polling'
          ? 'The event stream is not available; refreshing every 2 s'
          : 'Updates arrive as server-sent events'
      }
    >
      {text}
    </span>
  );
}

const root = document.getElementById('app')!;
// Replace the "Loading…" placeholder of index.html rather than render next to it.
root.replaceChildren();
render(<App />, root);
