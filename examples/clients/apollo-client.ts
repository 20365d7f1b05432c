// session-gateway from Apollo Client 4 on Node.js 20+ (a browser works the same,
// without the `ws` import):
//
//   cd examples/clients && npm ci && npm run codegen
//   node --import tsx apollo-client.ts          # against `make run`
//
// - queries over HTTP, with `possibleTypes` generated from the schema so that
//   fragments on the Session interface (`... on WeightliftingSession`) are kept;
// - a mutation (`updateSession`) that updates a watched query by itself;
// - a subscription over graphql-ws whose events carry the session node, so the
//   cached session (and every query watching it) updates without updateQuery;
// - automatic persisted queries, hashed queries sent as GET;
// - the same subscription over plain HTTP (multipart/mixed) through HttpLink.
//
// Auth: `Authorization: API-KEY <key>` on every HTTP request, and in the
// WebSocket's connection_init payload (browsers can't set headers there).
import { createHash } from 'node:crypto';

import {
  ApolloClient,
  ApolloLink,
  HttpLink,
  InMemoryCache,
  gql,
  type TypedDocumentNode,
} from '@apollo/client';
import { PersistedQueryLink } from '@apollo/client/link/persisted-queries';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

import type {
  RenameMutation,
  RenameMutationVariables,
  RequestVideoMutation,
  RequestVideoMutationVariables,
  SessionQuery,
  SessionQueryVariables,
  SessionsQuery,
  SessionsQueryVariables,
  VideoReadySubscription,
  VideoReadySubscriptionVariables,
} from './src/generated/graphql.ts';
import possibleTypes from './src/generated/possible-types.ts';
import { RENAME, REQUEST_VIDEO, SESSION, SESSIONS, VIDEO_READY } from './src/operations.ts';

const GATEWAY = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8000/graphql'; // `make run`
const AUTHORIZATION = process.env.GATEWAY_AUTHORIZATION ?? 'API-KEY alice-demo-key'; // a sandbox key

const Sessions: TypedDocumentNode<SessionsQuery, SessionsQueryVariables> = gql(SESSIONS);
const Session: TypedDocumentNode<SessionQuery, SessionQueryVariables> = gql(SESSION);
const Rename: TypedDocumentNode<RenameMutation, RenameMutationVariables> = gql(RENAME);
const RequestVideo: TypedDocumentNode<RequestVideoMutation, RequestVideoMutationVariables> =
  gql(REQUEST_VIDEO);
const VideoReady: TypedDocumentNode<VideoReadySubscription, VideoReadySubscriptionVariables> =
  gql(VIDEO_READY);

const isSubscription = ({ query }: ApolloLink.Operation) => {
  const definition = getMainDefinition(query);
  return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
};

/** HTTP for queries and mutations, graphql-ws for subscriptions. */
export function createApolloClient(): ApolloClient {
  const http = new HttpLink({ uri: GATEWAY, headers: { Authorization: AUTHORIZATION } });
  const ws = new GraphQLWsLink(
    createClient({
      url: GATEWAY.replace(/^http/, 'ws'),
      connectionParams: { Authorization: AUTHORIZATION },
      webSocketImpl: WebSocket, // Node.js only: browsers have their own
    }),
  );
  return new ApolloClient({
    link: ApolloLink.split(isSubscription, ws, http),
    cache: new InMemoryCache({ possibleTypes: possibleTypes.possibleTypes }),
  });
}

/** Hashed queries as GET (cacheable URLs); the full query only the first time. */
export function createPersistedQueryClient(fetch: typeof globalThis.fetch): ApolloClient {
  const sha256 = (query: string) => createHash('sha256').update(query).digest('hex');
  return new ApolloClient({
    link: new PersistedQueryLink({ sha256, useGETForHashedQueries: true }).concat(
      new HttpLink({ uri: GATEWAY, headers: { Authorization: AUTHORIZATION }, fetch }),
    ),
    cache: new InMemoryCache({ possibleTypes: possibleTypes.possibleTypes }),
  });
}

/** Resolves with the first value of `watch` that `accept` takes. */
function until<T>(
  watch: { subscribe(observer: (value: T) => void): { unsubscribe(): void } },
  accept: (value: T) => boolean,
  timeoutMs = 60_000, // the sandbox takes seconds to make a video; polling backs off
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), timeoutMs);
    const subscription = watch.subscribe((value) => {
      if (!accept(value)) return;
      clearTimeout(timer);
      queueMicrotask(() => subscription.unsubscribe());
      resolve(value);
    });
  });
}

export async function main(): Promise<void> {
  const client = createApolloClient();

  // 1. A query with fragments on the Session interface.
  const { data } = await client.query({ query: Sessions, variables: { first: 40 } });
  const nodes = data!.sessions.edges.flatMap((edge) => (edge.node ? [edge.node] : []));
  const lift = nodes.find((node) => node.__typename === 'WeightliftingSession');
  if (!lift || lift.__typename !== 'WeightliftingSession' || !lift.exercise) {
    throw new Error('the WeightliftingSession fragment was dropped: possibleTypes missing?');
  }
  console.log(`query: ${data!.sessions.totalCount} sessions; a lift's exercise: ${lift.exercise}`);

  // 2. A mutation updates a watched query through the normalized cache.
  const first = nodes[0];
  const watched = client.watchQuery({ query: Session, variables: { id: first.id } });
  const title = `Renamed by Apollo ${Date.now()}`;
  await until(watched, (result) => result.data?.session?.id === first.id);
  const renamed = until(watched, (result) => result.data?.session?.title === title);
  await client.mutate({ mutation: Rename, variables: { id: first.id, title } });
  await renamed;
  console.log(`mutation: the watched query shows "${title}"`);

  // 3. A subscription's events update the cached session by themselves.
  const pending = nodes.find((node) => node.analyzedVideo.status === 'PROCESSING');
  if (pending) {
    const video = client.watchQuery({ query: Session, variables: { id: pending.id } });
    await until(video, (result) => result.data?.session?.analyzedVideo?.status === 'PROCESSING');
    const ready = until(video, (result) => result.data?.session?.analyzedVideo?.status !== 'PROCESSING');
    await client.mutate({ mutation: RequestVideo, variables: { id: pending.id } });
    const events = client
      .subscribe({ query: VideoReady, variables: { id: pending.id } })
      .subscribe({ error: (error) => console.error(error) });
    console.log(`waiting for ${pending.id} to be ready`);
    const result = await ready;
    events.unsubscribe();
    const status = result.data?.session?.analyzedVideo?.status;
    console.log(`subscription (graphql-ws): the watched query turned ${status} with no updateQuery`);
  }

  // 4. The same subscription over plain HTTP: multipart/mixed through HttpLink.
  const http = new ApolloClient({
    link: new HttpLink({ uri: GATEWAY, headers: { Authorization: AUTHORIZATION } }),
    cache: new InMemoryCache({ possibleTypes: possibleTypes.possibleTypes }),
  });
  const final = nodes.find((node) => node.analyzedVideo.status === 'READY')!;
  const event = await until(
    http.subscribe({ query: VideoReady, variables: { id: final.id } }),
    (result) => result.data?.analyzedVideo.status === 'READY',
  );
  console.log(`subscription (multipart HTTP): ${event.data?.analyzedVideo.session.analyzedVideo.url}`);

  // 5. Automatic persisted queries, hashed GETs.
  const sent: string[] = [];
  const recording: typeof globalThis.fetch = async (input, init) => {
    const method = init?.method ?? 'GET';
    const url = new URL(String(input));
    const body = typeof init?.body === 'string' ? JSON.parse(init.body) : {};
    const withQuery = url.searchParams.has('query') || 'query' in body;
    const response = await globalThis.fetch(input, init);
    const answer = await response.clone().json();
    const code = answer.errors?.[0]?.extensions?.code ?? 'data';
    sent.push(`${method} ${withQuery ? 'query+hash' : 'hash'} -> ${code}`);
    return response;
  };
  const apq = createPersistedQueryClient(recording);
  for (let i = 0; i < 2; i += 1) {
    await apq.query({ query: Sessions, variables: { first: 3 }, fetchPolicy: 'network-only' });
  }
  console.log(`persisted queries: ${sent.join(', ')}`);
  if (sent.join() !== 'GET hash -> PERSISTED_QUERY_NOT_FOUND,POST query+hash -> data,GET hash -> data') {
    throw new Error(`unexpected APQ exchange: ${sent.join(', ')}`);
  }

  client.stop();
  http.stop();
  apq.stop();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
