// session-gateway from graphql-sse: subscriptions over server-sent events, no
// WebSocket needed (the gateway speaks graphql-sse's "distinct connections"
// mode: one POST per subscription, Accept: text/event-stream).
//
//   cd examples/clients && npm ci
//   node --import tsx sse.ts                   # against `make run`
import { createClient } from 'graphql-sse';

import type { SessionsQuery, VideoReadySubscription } from './src/generated/graphql.ts';
import { SESSIONS, VIDEO_READY } from './src/operations.ts';

const GATEWAY = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8000/graphql';
const AUTHORIZATION = process.env.GATEWAY_AUTHORIZATION ?? 'API-KEY alice-demo-key';

const client = createClient({ url: GATEWAY, headers: { Authorization: AUTHORIZATION } });

export async function main(): Promise<void> {
  // Queries work too: one `next` event, then `complete`.
  let ready: string | undefined;
  for await (const result of client.iterate<SessionsQuery>({ query: SESSIONS, variables: { first: 40 } })) {
    const nodes = result.data?.sessions.edges.flatMap((edge) => (edge.node ? [edge.node] : [])) ?? [];
    ready = nodes.find((node) => node.analyzedVideo.status === 'READY')?.id;
  }
  if (!ready) throw new Error('no READY session to follow');
  // The current status at once; READY is final, so the server completes.
  for await (const result of client.iterate<VideoReadySubscription>({
    query: VIDEO_READY,
    variables: { id: ready },
  })) {
    if (result.errors) throw new Error(JSON.stringify(result.errors));
    const event = result.data!.analyzedVideo;
    console.log(`subscription (graphql-sse): ${event.status} ${event.session.analyzedVideo.url}`);
  }
  client.dispose();
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
