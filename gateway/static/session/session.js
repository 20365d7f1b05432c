// Session page: one session of session-gateway, drawn. Plain JavaScript.
//
// 1. One HTTP query asks for the summary and, `@defer`red, the export's series.
//    The gateway answers `multipart/mixed` (the incremental-delivery format
//    Apollo Client and urql read): the summary is drawn from the first part,
//    while the export is still on its way; the charts from the second.
// 2. The frame range re-queries the export with `frames:`, and the keypoint
//    choice with `names:`, so only that slice crosses the wire.
// 3. `analyzedVideo(id:)` over a graphql-transport-ws WebSocket keeps the
//    video's status live and shows the video once it is READY.
//
// uPlot and the graphql-ws client are npm packages bundled by
// `make graphiql-assets` and served by the gateway itself: no CDN, and the page
// runs under `Content-Security-Policy: default-src 'self'`.
import { createClient } from '/static/graphiql/graphql-ws.js';
import uPlot from '/static/graphiql/uplot.js';
import { initialKey } from '/examples/shared/demo-key.js';

const GRAPHQL_PATH = '/graphql';

const EXPORT_SERIES = /* GraphQL */ `
  fragment ExportSeries on SessionExport {
    timestamps(frames: $frames)
    angles(frames: $frames) { name values }
    keypoints(names: $keypoints, frames: $frames) { name values }
  }
`;

const SESSION_QUERY = /* GraphQL */ `
  query SessionPage($id: ID!, $frames: FrameRangeInput, $keypoints: [String!]) {
    session(id: $id) {
      id
      sessionId
      title
      activity
      userName
      createdAt
      analyzedVideo { status url }
      metrics { name value avg min max }
      ... @defer(label: "export") {
        export {
          ...ExportSeries
          keypointNames: keypoints { name }
        }
      }
    }
  }
  ${EXPORT_SERIES}
`;

const SLICE_QUERY = /* GraphQL */ `
  query SessionExportSlice($id: ID!, $frames: FrameRangeInput, $keypoints: [String!]) {
    session(id: $id) { id export { ...ExportSeries } }
  }
  ${EXPORT_SERIES}
`;

const NEWEST_QUERY = /* GraphQL */ `
  query NewestSession { sessions(first: 1) { edges { node { id } } } }
`;

const VIDEO_SUBSCRIPTION = /* GraphQL */ `
  subscription SessionVideo($id: ID!) {
    analyzedVideo(id: $id) { id status url }
  }
`;

// What a person reads for each error code the gateway sends (`extensions.code`).
const MESSAGES = {
  UNAUTHENTICATED: () => 'This API key was not accepted. Check the key and load again.',
  FORBIDDEN: () => 'This API key may not read this session.',
  NOT_FOUND: () => 'There is no session with this id for this API key.',
  BAD_REQUEST: (error) => `This request was refused: ${error.message}`,
  RATE_LIMITED: (error) => {
    const wait = Math.ceil(Number(error.extensions?.retryAfter) || 1);
    return `Too many requests for this API key: try again in ${wait} s.`;
  },
  UPSTREAM_UNAVAILABLE: () =>
    'The analysis service is not answering right now. Nothing is lost: try again in a moment.',
  UPSTREAM_BAD_RESPONSE: () => 'The analysis service answered with something unexpected; try again later.',
  LIMIT_EXCEEDED: () => 'That is more data than one answer may carry: choose fewer frames or keypoints.',
  SHUTTING_DOWN: () => 'The gateway is restarting: try again in a moment.',
};
const DEFAULT_KEYPOINTS = ['lhipy', 'lkney', 'lanky'];
const COLORS = ['#0b6fd0', '#d9480f', '#2b8a3e', '#7048e8', '#c2255c', '#1098ad', '#e67700', '#495057'];

const $ = (selector) => document.querySelector(selector);
const ui = {
  form: $('#connect'),
  key: $('#api-key'),
  id: $('#session-id'),
  message: $('#message'),
  title: $('#title'),
  facts: $('#facts'),
  summary: $('#summary'),
  metrics: $('#metrics'),
  videoStatus: $('#video-status'),
  videoNote: $('#video-note'),
  videoSlot: $('#video-slot'),
  exportSection: $('#export'),
  exportNote: $('#export-note'),
  exportSize: $('#export-size'),
  frames: $('#frames'),
  frameStart: $('#frame-start'),
  frameEnd: $('#frame-end'),
  framesAll: $('#frames-all'),
  picker: $('#keypoint-picker'),
  anglesChart: $('#angles-chart'),
  keypointsChart: $('#keypoints-chart'),
};

const view = { key: '', id: '', totalFrames: 0, frames: null, keypoints: [], charts: new Map() };
let client = null; // graphql-ws client of the current key
let unsubscribe = null;
let generation = 0; // answers of an earlier load are dropped

// --- errors -----------------------------------------------------------------

class NetworkError extends Error {
  constructor() {
    super('The gateway is not reachable: check your connection and try again.');
    this.code = 'NETWORK';
  }
}

class GatewayError extends Error {
  constructor(errors) {
    const first = errors[0] || {};
    const code = first.extensions?.code || 'ERROR';
    super((MESSAGES[code] || (() => first.message || 'The request failed.'))(first));
    this.code = code;
  }
}

function describe(err) {
  if (err instanceof GatewayError || err instanceof NetworkError) return { code: err.code, text: err.message };
  return { code: 'ERROR', text: err?.message || String(err) };
}

function showMessage(err) {
  const { code, text } = err ? describe(err) : { code: '', text: '' };
  ui.message.hidden = !text;
  ui.message.textContent = text;
  ui.message.dataset.code = code;
}

// --- HTTP with incremental delivery ------------------------------------------

async function post(query, variables, { incremental = false, signal } = {}) {
  const accept = incremental
    ? 'multipart/mixed;deferSpec=20220824, application/graphql-response+json, application/json'
    : 'application/graphql-response+json, application/json';
  try {
    return await fetch(GRAPHQL_PATH, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept, authorization: `API-KEY ${view.key}` },
      body: JSON.stringify({ query, variables }),
      signal,
    });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new NetworkError();
  }
}

// Each part of a `multipart/mixed` answer as parsed JSON, as it arrives (a
// plain JSON answer, such as a refusal, is its only part). Parts are
// separated by `\r\n--<boundary>`; JSON never holds a raw CRLF.
async function* answerParts(response) {
  const type = response.headers.get('content-type') || '';
  if (!type.startsWith('multipart/mixed')) {
    const text = await response.text();
    yield { body: parseJson(text, response.status), bytes: text.length };
    return;
  }
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1] || '-';
  const delimiter = `\r\n--${boundary}`;
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '\r\n'; // the first delimiter may open the body, with no CRLF before it
  let preamble = true;
  let hasNext = true;
  for (;;) {
    let chunk;
    try {
      chunk = await reader.read();
    } catch (err) {
      if (err?.name === 'AbortError') throw err;
      throw new NetworkError();
    }
    const { value, done } = chunk;
    if (done) {
      // Every answer ends with a part saying `hasNext: false`: else it was cut short.
      if (hasNext) throw new Error('The answer was cut short (the gateway restarted?): load again.');
      return;
    }
    buffer += value;
    let at;
    while ((at = buffer.indexOf(delimiter)) !== -1) {
      const part = buffer.slice(0, at);
      buffer = buffer.slice(at + delimiter.length);
      if (!preamble) {
        const split = part.indexOf('\r\n\r\n');
        const text = split === -1 ? '' : part.slice(split + 4).trim();
        if (text) {
          const body = parseJson(text, response.status);
          hasNext = body.hasNext !== false;
          yield { body, bytes: text.length };
        }
      }
      preamble = false;
    }
  }
}

function parseJson(text, status) {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`The gateway answered HTTP ${status} with a body that is not JSON.`);
  }
}

// --- the page ------------------------------------------------------------------

let loading = null; // the AbortController of the current load
let slicing = null; // ... and of the current slice

async function load() {
  const mine = ++generation;
  loading?.abort();
  slicing?.abort();
  loading = new AbortController();
  const { signal } = loading;
  showMessage(null);
  document.body.dataset.state = 'loading';
  ui.summary.hidden = true;
  ui.exportSection.hidden = true;
  destroyCharts();
  stopWatching();
  try {
    if (!view.id) {
      const newest = await newestSessionId(signal);
      if (mine !== generation) return;
      view.id = newest;
    }
    ui.id.value = view.id;
    // The id in the address (to share or reload); never the key.
    history.replaceState(null, '', `?id=${encodeURIComponent(view.id)}`);
    view.frames = null;
    view.totalFrames = 0;
    view.keypoints = DEFAULT_KEYPOINTS;
    const variables = { id: view.id, frames: null, keypoints: view.keypoints };
    const response = await post(SESSION_QUERY, variables, { incremental: true, signal });
    let session = null;
    let first = true;
    for await (const { body, bytes } of answerParts(response)) {
      if (mine !== generation) return;
      if (first) {
        first = false;
        session = body.data?.session;
        if (body.errors?.length && !session) throw new GatewayError(body.errors);
        if (!session) throw new GatewayError([{ extensions: { code: 'NOT_FOUND' } }]);
        renderSummary(session);
        watch(session.id);
        ui.exportSection.hidden = false;
        ui.exportSection.dataset.state = 'loading';
        if (session.export) showFirstExport(session.export, bytes); // answered at once, not deferred
        continue;
      }
      for (const item of body.incremental || []) {
        if (item.errors?.length) {
          exportFailed(new GatewayError(item.errors));
        } else if (item.data?.export) {
          showFirstExport(item.data.export, bytes);
        }
      }
    }
    document.body.dataset.state = 'loaded';
  } catch (err) {
    if (mine !== generation || err?.name === 'AbortError') return;
    if (ui.exportSection.dataset.state === 'loading' && !ui.summary.hidden) {
      exportFailed(err); // the summary stands; the export did not come
      document.body.dataset.state = 'loaded';
      return;
    }
    stopWatching();
    showMessage(err);
    ui.summary.hidden = true;
    ui.exportSection.hidden = true;
    document.body.dataset.state = 'error';
  }
}

function showFirstExport(series, bytes) {
  const lengths = series.angles.map((s) => (Array.isArray(s.values) ? s.values.length : 1));
  view.totalFrames = Math.max(Array.isArray(series.timestamps) ? series.timestamps.length : 0, ...lengths, 0);
  renderPicker((series.keypointNames || []).map((k) => k.name));
  renderExport(series, bytes);
}

async function newestSessionId(signal) {
  const response = await post(NEWEST_QUERY, {}, { signal });
  const body = parseJson(await response.text(), response.status);
  if (body.errors?.length) throw new GatewayError(body.errors);
  const node = body.data?.sessions?.edges?.[0]?.node;
  if (!node) throw new Error('There are no sessions for this API key yet.');
  return node.id;
}

// The export again, for the chosen frames and keypoints: only that slice crosses the wire.
async function loadSlice() {
  // Only the latest slice is drawn: an earlier one still on its way is cancelled.
  slicing?.abort();
  const controller = new AbortController();
  slicing = controller;
  ui.exportSection.dataset.state = 'loading';
  ui.exportNote.textContent = 'Loading…';
  try {
    const variables = { id: view.id, frames: view.frames, keypoints: view.keypoints };
    const response = await post(SLICE_QUERY, variables, { signal: controller.signal });
    for await (const { body, bytes } of answerParts(response)) {
      if (slicing !== controller) return;
      const series = body.data?.session?.export;
      if (body.errors?.length || !series) throw new GatewayError(body.errors || []);
      renderExport(series, bytes);
    }
  } catch (err) {
    if (slicing === controller && err?.name !== 'AbortError') exportFailed(err);
  }
}

function exportFailed(err) {
  destroyCharts();
  ui.exportSection.dataset.state = 'error';
  ui.exportNote.textContent = `The movement could not be loaded. ${describe(err).text}`;
  ui.exportNote.dataset.code = describe(err).code;
}

function renderSummary(session) {
  ui.title.textContent = session.title || '(untitled session)';
  const created = session.createdAt ? new Date(session.createdAt) : null;
  const facts = [
    session.activity && session.activity[0] + session.activity.slice(1).toLowerCase(),
    created && !Number.isNaN(created.valueOf()) ? created.toLocaleString() : session.createdAt,
    session.userName,
    session.sessionId,
  ].filter(Boolean);
  ui.facts.textContent = facts.join(' · ');
  ui.metrics.textContent = '';
  for (const metric of session.metrics) {
    const shown = headline(metric);
    if (!shown) continue;
    const box = document.createElement('div');
    box.dataset.metric = metric.name;
    const dt = document.createElement('dt');
    dt.textContent = metric.name.replaceAll('_', ' ');
    const dd = document.createElement('dd');
    dd.textContent = shown.value;
    if (shown.note) {
      const small = document.createElement('small');
      small.textContent = ` ${shown.note}`;
      dd.append(small);
    }
    box.append(dt, dd);
    ui.metrics.append(box);
  }
  if (!ui.metrics.children.length) ui.metrics.textContent = 'No metrics in this session.';
  renderVideo(session.analyzedVideo);
  ui.summary.hidden = false;
  document.body.dataset.summary = 'shown';
}

// A metric as one number: its value, or the peak of its series.
function headline(metric) {
  const format = (x) => (Math.abs(x) >= 1000 ? x.toExponential(2) : String(Number(x.toFixed(3))));
  if (typeof metric.value === 'number') return { value: format(metric.value) };
  if (typeof metric.max === 'number') return { value: format(metric.max), note: 'peak' };
  if (typeof metric.avg === 'number') return { value: format(metric.avg), note: 'mean' };
  return null;
}

function renderVideo(video) {
  const status = video?.status || 'UNKNOWN';
  ui.videoStatus.dataset.status = status;
  ui.videoStatus.textContent = status;
  document.body.dataset.video = status;
  ui.videoSlot.textContent = '';
  ui.videoNote.textContent = '';
  if (status === 'READY' && video.url) {
    // preload="none": nothing is fetched from the video's host until it is played.
    const player = document.createElement('video');
    player.controls = true;
    player.preload = 'none';
    player.src = video.url;
    const link = document.createElement('a');
    link.href = video.url;
    link.target = '_blank';
    link.rel = 'noopener';
    link.textContent = 'Open the video';
    ui.videoSlot.append(player, link);
    ui.videoNote.textContent = 'The analysis is drawn over the original video.';
  } else if (status === 'PROCESSING') {
    ui.videoNote.textContent = 'The video is being analyzed; this page updates itself when it is ready.';
  } else if (status === 'FAILED') {
    ui.videoNote.textContent = 'The analysis of this video failed upstream.';
  }
}

// --- charts --------------------------------------------------------------------

function renderPicker(names) {
  for (const label of ui.picker.querySelectorAll('label')) label.remove();
  const chosen = new Set(view.keypoints.filter((n) => names.includes(n)));
  if (!chosen.size) {
    // Other landmarks than the defaults: the first three heights it has.
    for (const name of names.filter((n) => n.endsWith('y')).slice(0, 3)) chosen.add(name);
    view.keypoints = [...chosen];
    if (chosen.size) queueMicrotask(loadSlice);
  }
  for (const name of names) {
    const label = document.createElement('label');
    const box = document.createElement('input');
    box.type = 'checkbox';
    box.value = name;
    box.checked = chosen.has(name);
    box.addEventListener('change', () => {
      view.keypoints = [...ui.picker.querySelectorAll('input:checked')].map((b) => b.value);
      loadSlice();
    });
    label.append(box, ` ${name}`);
    ui.picker.append(label);
  }
}

function renderExport(series, bytes) {
  const times = Array.isArray(series.timestamps) ? series.timestamps : [];
  const length = Math.max(times.length, ...[...series.angles, ...series.keypoints].map((s) => (Array.isArray(s.values) ? s.values.length : 1)));
  // Seconds when every frame has its time; else the frame numbers, in order.
  const timed = times.length === length && times.every((t) => typeof t === 'number');
  const first = view.frames?.start ?? 0;
  const xs = timed ? times : Array.from({ length }, (_, i) => first + i);
  view.xLabel = timed ? 'time (s)' : 'frame';
  const start = view.frames?.start ?? 0;
  const end = view.frames?.end ?? view.totalFrames;
  ui.frameStart.max = String(Math.max(0, view.totalFrames - 1));
  ui.frameEnd.max = String(view.totalFrames);
  ui.frameStart.value = String(start);
  ui.frameEnd.value = String(Math.min(end, view.totalFrames));
  draw(ui.anglesChart, 'Joint angles (degrees)', xs, series.angles);
  if (series.keypoints.length) {
    draw(ui.keypointsChart, 'Keypoints (position in the frame, 0 = top or left)', xs, series.keypoints);
  } else {
    drop(ui.keypointsChart);
  }
  ui.exportSize.textContent = `${xs.length} of ${view.totalFrames} frames · ${(bytes / 1024).toFixed(1)} KiB on the wire`;
  ui.exportSection.dataset.state = 'loaded';
  ui.exportSection.dataset.bytes = String(bytes);
  ui.exportNote.textContent = xs.length
    ? 'Drag across a chart to zoom; double-click to zoom out.'
    : 'The export has no frames.';
  delete ui.exportNote.dataset.code;
}

function draw(container, title, xs, list) {
  drop(container);
  const options = {
    title,
    width: Math.max(320, container.clientWidth || 900),
    height: 260,
    scales: { x: { time: false } },
    axes: [{ label: view.xLabel }, {}],
    series: [{ label: view.xLabel }, ...list.map((s, i) => ({ label: s.name, stroke: COLORS[i % COLORS.length], width: 1.5 }))],
  };
  const data = [xs, ...list.map((s) => (Array.isArray(s.values) ? s.values : [s.values]))];
  const chart = new uPlot(options, data, container);
  view.charts.set(container, chart);
  // What the chart holds (read by the browser tests): points per series, and the series.
  container.dataset.points = String(chart.data[0].length);
  container.dataset.series = list.map((s) => s.name).join(',');
}

function drop(container) {
  view.charts.get(container)?.destroy();
  view.charts.delete(container);
  container.dataset.points = '0';
  container.dataset.series = '';
}

function destroyCharts() {
  for (const container of [...view.charts.keys()]) drop(container);
}

window.addEventListener('resize', () => {
  for (const [container, chart] of view.charts) chart.setSize({ width: Math.max(320, container.clientWidth), height: 260 });
});

// --- live video status -----------------------------------------------------------

function wsUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

function watch(id) {
  stopWatching();
  client = createClient({
    url: wsUrl(GRAPHQL_PATH),
    connectionParams: { Authorization: `API-KEY ${view.key}` },
    retryAttempts: 5,
  });
  unsubscribe = client.subscribe(
    { query: VIDEO_SUBSCRIPTION, variables: { id } },
    {
      next: ({ data, errors }) => {
        if (errors?.length) ui.videoNote.textContent = describe(new GatewayError(errors)).text;
        if (data?.analyzedVideo) renderVideo(data.analyzedVideo);
      },
      error: (err) => {
        const text = Array.isArray(err) ? describe(new GatewayError(err)).text : 'The live status was interrupted.';
        ui.videoNote.textContent = text;
      },
      complete: () => {},
    },
  );
}

function stopWatching() {
  if (unsubscribe) unsubscribe();
  if (client) client.dispose();
  unsubscribe = null;
  client = null;
}

// --- controls --------------------------------------------------------------------

ui.frames.addEventListener('submit', (event) => {
  event.preventDefault();
  if (!view.totalFrames) return; // the export is not here yet
  const start = Number(ui.frameStart.value);
  const end = Number(ui.frameEnd.value);
  if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end <= start) {
    ui.exportNote.textContent = 'Choose a first frame before the last one.';
    return;
  }
  view.frames = { start, end };
  loadSlice();
});

ui.framesAll.addEventListener('click', () => {
  if (!view.totalFrames) return;
  view.frames = null;
  loadSlice();
});

ui.form.addEventListener('submit', (event) => {
  event.preventDefault();
  view.key = ui.key.value.trim();
  view.id = ui.id.value.trim();
  if (view.key) load();
});

initialKey().then((key) => {
  view.key = key;
  view.id = new URLSearchParams(window.location.search).get('id') || '';
  ui.key.value = key;
  ui.id.value = view.id;
  if (key) load();
  else document.body.dataset.state = 'idle';
});
