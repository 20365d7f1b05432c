// session-gateway from Apollo Client (TypeScript): HTTP for queries and
// mutations, graphql-ws (graphql-transport-ws) for subscriptions.
//
//   npm install @apollo/client graphql graphql-ws
//
// Auth: every HTTP request carries `Authorization: API-KEY <key>`; the
// WebSocket carries the same header in its connection_init payload
// (connectionParams), which is where the gateway looks for it.
import { ApolloClient, HttpLink, InMemoryCache, gql, split } from '@apollo/client';
import { GraphQLWsLink } from '@apollo/client/link/subscriptions';
import { getMainDefinition } from '@apollo/client/utilities';
import { createClient } from 'graphql-ws';

const GATEWAY = 'http://localhost:8000/graphql'; // `make run` (sandbox mode)
const API_KEY = 'alice-demo-key'; // a sandbox demo key; use your own in production

const authorization = `API-KEY ${API_KEY}`;

const httpLink = new HttpLink({ uri: GATEWAY, headers: { Authorization: authorization } });

const wsLink = new GraphQLWsLink(
  createClient({
    url: GATEWAY.replace(/^http/, 'ws'),
    connectionParams: { Authorization: authorization },
    retryAttempts: 5,
  }),
);

// Subscriptions over the WebSocket, everything else over HTTP.
const link = split(
  ({ query }) => {
    const definition = getMainDefinition(query);
    return definition.kind === 'OperationDefinition' && definition.operation === 'subscription';
  },
  wsLink,
  httpLink,
);

export const client = new ApolloClient({ link, cache: new InMemoryCache() });

type VideoStatus = 'PROCESSING' | 'READY' | 'FAILED';

interface SessionNode {
  id: string;
  sessionId: string;
  activity: string;
  title: string | null;
  createdAt: string | null;
  analyzedVideo: { status: VideoStatus; url: string | null };
}

export const SESSIONS = gql`
  query Sessions($first: Int!) {
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

export const ANALYZED_VIDEOS = gql`
  subscription AnalyzedVideos($ids: [ID!]!) {
    analyzedVideos(ids: $ids) { id sessionId status url }
  }
`;

// List the sessions, then follow their videos until each is READY or FAILED.
export async function main(): Promise<void> {
  const { data } = await client.query<{ sessions: { edges: { node: SessionNode | null }[] } }>({
    query: SESSIONS,
    variables: { first: 20 },
  });
  const sessions = data.sessions.edges.flatMap((edge) => (edge.node ? [edge.node] : []));
  const pending = new Set(
    sessions.filter((s) => s.analyzedVideo.status === 'PROCESSING').map((s) => s.id),
  );
  for (const s of sessions) console.log(s.analyzedVideo.status.padEnd(10), s.title ?? s.sessionId);
  if (pending.size === 0) return;

  await new Promise<void>((resolve, reject) => {
    const subscription = client
      .subscribe<{ analyzedVideos: { id: string; sessionId: string; status: VideoStatus; url: string | null } }>({
        query: ANALYZED_VIDEOS,
        variables: { ids: [...pending] },
      })
      .subscribe({
        next: ({ data: event }) => {
          const video = event?.analyzedVideos;
          if (!video) return;
          console.log(`${video.sessionId}: ${video.status}${video.url ? ` ${video.url}` : ''}`);
          if (video.status !== 'PROCESSING') pending.delete(video.id);
          if (pending.size === 0) {
            subscription.unsubscribe();
            resolve();
          }
        },
        error: reject,
        complete: resolve,
      });
  });
}
