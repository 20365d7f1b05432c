// Sessions dashboard: a plain-JavaScript client of session-gateway.
//
// 1. Lists the caller's sessions with one HTTP query
//    (header `Authorization: API-KEY <key>`).
// 2. Subscribes to `analyzedVideos(ids: ...)` over a graphql-transport-ws
//    WebSocket (the graphql-ws client; the key goes in the connection_init
//    payload `{"Authorization": "API-KEY <key>"}`). The subscription sends each
//    video's current status at once, then every change, and the rows flip to
//    READY as they happen.
//
// The graphql-ws client is the npm package, bundled by `make graphiql-assets`
// and served by the gateway itself, so this page needs no CDN. To use it from
// elsewhere, `npm install graphql-ws` and import { createClient } from it.
import { createClient } from '/static/graphiql/graphql-ws.js';
import { initialKey } from '/examples/shared/demo-key.js';

const GRAPHQL_PATH = '/graphql';

const SESSIONS_QUERY = /* GraphQL */ `
  query DashboardSessions($first: Int!) {
    sessions(first: $first) {
      edges {
        node {
          id
          sessionId
          activity
          title
          createdAt
          analyzedVideo { status url }
        }
      }
    }
  }
`;

const VIDEOS_SUBSCRIPTION = /* GraphQL */ `
  subscription DashboardVideos($ids: [ID!]!) {
    analyzedVideos(ids: $ids) { id sessionId status url }
  }
`;

const $ = (selector) => document.querySelector(selector);
const form = $('#connect');
const keyInput = $('#api-key');
const table = $('#sessions');
const tbody = table.querySelector('tbody');
const message = $('#message');
const connection = $('#connection');
const eventCount = $('#event-count');

let client = null; // graphql-ws client for the current key
let unsubscribe = null;
let events = 0;
const rows = new Map(); // session global id -> <tr>

function setConnection(state, text) {
  connection.dataset.state = state;
  connection.textContent = text;
}

function showMessage(text) {
  message.hidden = !text;
  message.textContent = text || '';
}

function wsUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

async function graphqlHttp(key, query, variables) {
  const response = await fetch(GRAPHQL_PATH, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      authorization: `API-KEY ${key}`,
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await response.json().catch(() => null);
  if (!body) throw new Error(`HTTP ${response.status}`);
  if (body.errors?.length && !body.data) throw new Error(body.errors.map((e) => e.message).join('; '));
  return body.data;
}

function cell(text, className) {
  const td = document.createElement('td');
  if (className) td.className = className;
  td.textContent = text ?? '';
  return td;
}

function renderVideo(td, video) {
  td.textContent = '';
  const badge = document.createElement('span');
  badge.className = 'status';
  badge.dataset.status = video?.status || 'UNKNOWN';
  badge.textContent = video?.status || '?';
  td.append(badge);
  if (video?.status === 'READY' && video.url) {
    const link = document.createElement('a');
    link.className = 'video';
    link.href = video.url;
    link.target = '_blank';
    link.rel = 'noopener';
    link.textContent = 'watch';
    td.append(link);
  }
}

function renderSessions(sessions) {
  tbody.textContent = '';
  rows.clear();
  for (const session of sessions) {
    const tr = document.createElement('tr');
    tr.dataset.id = session.id;
    tr.dataset.sessionId = session.sessionId;
    tr.dataset.status = session.analyzedVideo?.status || '';
    const created = session.createdAt ? new Date(session.createdAt) : null;
    const title = cell('');
    const link = document.createElement('a');
    link.href = `/examples/session?id=${encodeURIComponent(session.id)}`;
    link.textContent = session.title || '(untitled)';
    title.append(link); // the session page: its summary, charts and live status
    tr.append(
      title,
      cell(session.activity),
      cell(created && !Number.isNaN(created.valueOf()) ? created.toLocaleString() : session.createdAt),
      cell(session.sessionId, 'mono'),
    );
    const videoCell = cell('');
    videoCell.className = 'video';
    renderVideo(videoCell, session.analyzedVideo);
    tr.append(videoCell);
    tbody.append(tr);
    rows.set(session.id, tr);
  }
  table.hidden = sessions.length === 0;
  if (!sessions.length) showMessage('No sessions for this key yet.');
}

function applyUpdate(video) {
  const tr = rows.get(video.id) || [...rows.values()].find((r) => r.dataset.sessionId === video.sessionId);
  if (!tr) return;
  events += 1;
  eventCount.textContent = String(events);
  const before = tr.dataset.status;
  tr.dataset.status = video.status;
  renderVideo(tr.querySelector('td.video'), video);
  if (before !== video.status) {
    tr.classList.remove('flipped');
    void tr.offsetWidth; // restart the highlight animation
    tr.classList.add('flipped');
  }
}

function watch(key, ids) {
  if (unsubscribe) unsubscribe();
  if (client) client.dispose();
  if (!ids.length) return;
  client = createClient({
    url: wsUrl(GRAPHQL_PATH),
    // graphql-transport-ws connection_init payload: how the gateway authenticates the socket
    connectionParams: { Authorization: `API-KEY ${key}` },
    retryAttempts: 5,
    on: {
      connected: () => setConnection('live', 'live'),
      closed: () => setConnection('idle', 'disconnected'),
      error: () => setConnection('error', 'connection error'),
    },
  });
  unsubscribe = client.subscribe(
    { query: VIDEOS_SUBSCRIPTION, variables: { ids } },
    {
      next: ({ data, errors }) => {
        if (errors?.length) showMessage(errors.map((e) => e.message).join('; '));
        if (data?.analyzedVideos) applyUpdate(data.analyzedVideos);
      },
      error: (err) => {
        setConnection('error', 'subscription failed');
        showMessage(describe(err));
      },
      complete: () => setConnection('idle', 'subscription ended'),
    },
  );
}

function describe(err) {
  if (Array.isArray(err)) return err.map((e) => e.message).join('; ');
  if (err && typeof err === 'object' && 'code' in err && 'reason' in err) {
    return `WebSocket closed: ${err.code} ${err.reason || ''}`.trim();
  }
  return err?.message || String(err);
}

async function load(key) {
  showMessage('');
  setConnection('idle', 'loading…');
  try {
    const data = await graphqlHttp(key, SESSIONS_QUERY, { first: 20 });
    const sessions = data.sessions.edges.map((edge) => edge.node).filter(Boolean);
    renderSessions(sessions);
    watch(key, sessions.map((s) => s.id));
    document.body.dataset.state = 'loaded';
  } catch (err) {
    setConnection('error', 'not connected');
    showMessage(describe(err));
    document.body.dataset.state = 'error';
  }
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  const key = keyInput.value.trim();
  if (key) load(key);
});

initialKey().then((key) => {
  keyInput.value = key;
  if (key) load(key);
});
