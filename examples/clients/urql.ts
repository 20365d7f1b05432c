// session-gateway from urql 6 with graphcache (normalized caching) and urql's
// default fetch transport, subscriptions included (fetchSubscriptions: the
// gateway streams them as server-sent events, as urql asks):
//
//   cd examples/clients && npm ci && npm run codegen
//   node --import tsx urql.ts                  # against `make run`
//
// urql's Accept header lists text/event-stream after the JSON types: queries
// still come back as one JSON document, only subscriptions stream.
import { Client, fetchExchange, gql, type TypedDocumentNode } from '@urql/core';
import { cacheExchange } from '@urql/exchange-graphcache';

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
import schema from './src/generated/urql-schema.ts';
import { RENAME, REQUEST_VIDEO, SESSION, SESSIONS, VIDEO_READY } from './src/operations.ts';

const GATEWAY = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8000/graphql';
const AUTHORIZATION = process.env.GATEWAY_AUTHORIZATION ?? 'API-KEY alice-demo-key';

const Sessions: TypedDocumentNode<SessionsQuery, SessionsQueryVariables> = gql(SESSIONS);
const Session: TypedDocumentNode<SessionQuery, SessionQueryVariables> = gql(SESSION);
const Rename: TypedDocumentNode<RenameMutation, RenameMutationVariables> = gql(RENAME);
const RequestVideo: TypedDocumentNode<RequestVideoMutation, RequestVideoMutationVariables> =
  gql(REQUEST_VIDEO);
const VideoReady: TypedDocumentNode<VideoReadySubscription, VideoReadySubscriptionVariables> =
  gql(VIDEO_READY);

// Types without an id are embedded in their parent: say so, or graphcache warns.
const embedded = () => null;

export const client = new Client({
  url: GATEWAY,
  fetchOptions: { headers: { Authorization: AUTHORIZATION } },
  fetchSubscriptions: true,
  exchanges: [
    cacheExchange({
      schema, // interfaces and nullability, from codegen
      keys: {
        AnalyzedVideo: embedded,
        AnalyzedVideoEvent: embedded,
        Series: embedded,
        SessionConnection: embedded,
        SessionEdge: embedded,
      },
    }),
    fetchExchange,
  ],
});

export async function main(): Promise<void> {
  const listed = await client.query(Sessions, { first: 40 }).toPromise();
  if (listed.error) throw listed.error;
  const nodes = listed.data!.sessions.edges.flatMap((edge) => (edge.node ? [edge.node] : []));
  console.log(`query: ${listed.data!.sessions.totalCount} sessions`);

  // A mutation's answer updates the cached session: read back from the cache.
  const first = nodes[0];
  await client.query(Session, { id: first.id }).toPromise();
  const title = `Renamed by urql ${Date.now()}`;
  const renamed = await client.mutation(Rename, { id: first.id, title }).toPromise();
  if (renamed.error) throw renamed.error;
  const cached = client.readQuery(Session, { id: first.id }, { requestPolicy: 'cache-only' });
  if (cached?.data?.session?.title !== title) throw new Error('the cached session was not updated');
  console.log(`mutation: the cached session reads "${title}"`);

  // A subscription's events update the cached session by themselves.
  const pending = nodes.find((node) => node.analyzedVideo.status === 'PROCESSING');
  if (pending) {
    await client.query(Session, { id: pending.id }).toPromise();
    await client.mutation(RequestVideo, { id: pending.id }).toPromise();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('timed out')), 60_000);
      const { unsubscribe } = client.subscription(VideoReady, { id: pending.id }).subscribe((result) => {
        if (result.error) reject(result.error);
        if (result.data?.analyzedVideo.status === 'PROCESSING') return;
        clearTimeout(timer);
        queueMicrotask(unsubscribe);
        resolve();
      });
      console.log(`waiting for ${pending.id} to be ready`);
    });
    const after = client.readQuery(Session, { id: pending.id }, { requestPolicy: 'cache-only' });
    const status = after?.data?.session?.analyzedVideo.status;
    if (status === 'PROCESSING' || !status) throw new Error('the cached session was not updated');
    console.log(`subscription (SSE): the cached session turned ${status} by itself`);
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
