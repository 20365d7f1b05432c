// Self-hosted GraphiQL for session-gateway.
//
// Loaded by the page the gateway serves at GET /graphql (Accept: text/html) as
// <script type="module" src="/static/graphiql/graphiql.js">. Everything it needs
// (React, GraphiQL 3 and its CodeMirror 5 editors, graphql-ws, CSS, fonts) is
// in this bundle, served from the gateway's own origin: no CDN, no inline
// script and no inline style, so it runs offline and under
// `Content-Security-Policy: default-src 'self'`.
//
// A link such as /graphql?query=...&variables=... opens with that operation.
//
// Its settings come from a JSON endpoint named by the root element's
// `data-config-url` attribute (by default /graphiql/config.json):
//   { "graphqlUrl": "/graphql", "subscriptionUrl": "/graphql",
//     "headers": {"Authorization": "API-KEY ..."},
//     "tabs": [{"query": "...", "variables": {...}}] }
import './styles.js';

import { explorerPlugin } from '@graphiql/plugin-explorer';
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createElement, StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

const root = document.getElementById('graphiql');

function absoluteWsUrl(path) {
  const url = new URL(path, window.location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.toString();
}

function asJsonText(value) {
  if (value === undefined || value === null) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

function showError(message) {
  root.textContent = '';
  const box = document.createElement('div');
  box.className = 'sg-graphiql-error';
  box.textContent = message;
  root.append(box);
}

async function main() {
  const configUrl = root.dataset.configUrl || '/graphiql/config.json';
  const response = await fetch(configUrl, { headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`GET ${configUrl}: HTTP ${response.status}`);
  const config = await response.json();

  const graphqlUrl = new URL(config.graphqlUrl || '/graphql', window.location.href).toString();
  // Subscriptions go over graphql-transport-ws (the graphql-ws client). For each
  // subscription the toolkit opens a client whose connection_init payload is
  // the *current* header editor contents, so the Authorization header typed
  // there authenticates the WebSocket too.
  const fetcher = createGraphiQLFetcher({
    url: graphqlUrl,
    subscriptionUrl: absoluteWsUrl(config.subscriptionUrl || config.graphqlUrl || '/graphql'),
  });

  const headers = asJsonText(config.headers && Object.keys(config.headers).length ? config.headers : undefined);
  const tabs = (config.tabs || []).map((tab) => ({
    query: tab.query,
    variables: asJsonText(tab.variables),
    headers: asJsonText(tab.headers) ?? headers,
  }));

  const props = {
    fetcher,
    plugins: [explorerPlugin()],
    defaultHeaders: headers,
    defaultEditorToolsVisibility: headers ? 'headers' : undefined,
    isHeadersEditorEnabled: true,
    shouldPersistHeaders: false,
  };
  if (tabs.length) props.defaultTabs = tabs;
  // A shared link to an operation (/graphql?query=...&variables=...): the
  // gateway serves this page to a browser for it, and GraphiQL opens the
  // operation in a tab of its own (or the tab that already holds it).
  const shared = new URLSearchParams(window.location.search);
  if (shared.get('query')) {
    props.query = shared.get('query');
    if (shared.get('variables')) props.variables = shared.get('variables');
    if (shared.get('operationName')) props.operationName = shared.get('operationName');
  }

  root.textContent = '';
  createRoot(root).render(createElement(StrictMode, null, createElement(GraphiQL, props)));
  root.dataset.state = 'ready';
}

main().catch((err) => {
  console.error(err);
  showError(`GraphiQL could not start: ${err && err.message ? err.message : err}`);
  root.dataset.state = 'error';
});
