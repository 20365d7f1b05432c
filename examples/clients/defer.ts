// @defer from Apollo Client 4 and from urql 6: the session page's title and
// metrics at once, its export (a slower upstream call) in a later part.
//
//   cd examples/clients && npm ci && npm run codegen
//   node --import tsx defer.ts                 # against `make run`
//
// Apollo Client needs an incremental handler for the 2022-08-24 draft the
// gateway speaks (`deferSpec=20220824`); it then asks for parts by itself.
// urql reads them with no setting: its Accept header names multipart/mixed.
// Each prints when the first part and the deferred one came, in ms.
import { ApolloClient, HttpLink, InMemoryCache, gql, type TypedDocumentNode } from '@apollo/client';
import { Defer20220824Handler } from '@apollo/client/incremental';
import { Client, fetchExchange } from '@urql/core';

import type { SessionPageQuery, SessionPageQueryVariables } from './src/generated/graphql.ts';
import possibleTypes from './src/generated/possible-types.ts';
import { SESSION_PAGE } from './src/operations.ts';

const GATEWAY = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8000/graphql'; // `make run`
const AUTHORIZATION = process.env.GATEWAY_AUTHORIZATION ?? 'API-KEY alice-demo-key'; // a sandbox key

const SessionPage: TypedDocumentNode<SessionPageQuery, SessionPageQueryVariables> =
  gql(SESSION_PAGE);

/** The page as either client hands it over while parts come: possibly in part. */
interface Page {
  title?: string | null;
  metrics?: ReadonlyArray<unknown>;
  export?: { timestamps?: ReadonlyArray<number | null> | null } | null;
}

/** When the first part (title and metrics, no export) and the whole page came, in ms. */
interface Timing {
  first: number;
  whole: number;
  page: Page;
}

function firstPart(page: Page | null | undefined): boolean {
  return !!page?.title && !!page.metrics?.length && !page.export;
}

function wholePage(page: Page | null | undefined): page is Page {
  return !!page?.title && page.export?.timestamps?.length === 3;
}

export async function withApollo(id: string): Promise<Timing> {
  const client = new ApolloClient({
    link: new HttpLink({ uri: GATEWAY, headers: { Authorization: AUTHORIZATION } }),
    cache: new InMemoryCache({ possibleTypes: possibleTypes.possibleTypes }),
    incrementalHandler: new Defer20220824Handler(),
  });
  const started = performance.now();
  let first: number | undefined;
  try {
    return await new Promise<Timing>((resolve, reject) => {
      const watched = client.watchQuery({ query: SessionPage, variables: { id } });
      const subscription = watched.subscribe({
        next(result) {
          const page = result.data?.session;
          if (result.dataState === 'streaming' && first === undefined && firstPart(page)) {
            first = performance.now() - started;
          }
          if (result.dataState === 'complete') {
            queueMicrotask(() => subscription.unsubscribe());
            if (first === undefined || !wholePage(page)) {
              reject(new Error(`Apollo Client: no first part or no export: ${JSON.stringify(result)}`));
            } else {
              resolve({ first, whole: performance.now() - started, page });
            }
          }
        },
        error: reject,
      });
    });
  } finally {
    client.stop();
  }
}

export async function withUrql(id: string): Promise<Timing> {
  const client = new Client({
    url: GATEWAY,
    fetchOptions: { headers: { Authorization: AUTHORIZATION } },
    exchanges: [fetchExchange],
  });
  const started = performance.now();
  let first: number | undefined;
  return new Promise<Timing>((resolve, reject) => {
    const { unsubscribe } = client
      .query(SessionPage, { id }, { requestPolicy: 'network-only' })
      .subscribe((result) => {
        if (result.error) {
          reject(result.error);
          return;
        }
        const page = result.data?.session;
        if (result.hasNext && first === undefined && firstPart(page)) {
          first = performance.now() - started;
        }
        if (!result.hasNext) {
          queueMicrotask(() => unsubscribe());
          if (first === undefined || !wholePage(page)) {
            reject(new Error(`urql: no first part, or no export: ${JSON.stringify(result.data)}`));
          } else {
            resolve({ first, whole: performance.now() - started, page });
          }
        }
      });
  });
}

export async function main(): Promise<void> {
  const id = process.env.SESSION_ID;
  if (!id) throw new Error('set SESSION_ID to a session of the key');
  for (const [name, run] of [
    ['Apollo Client', withApollo],
    ['urql', withUrql],
  ] as const) {
    const { first, whole, page } = await run(id);
    console.log(
      `SUMMARY @defer (${name}): first part ${Math.round(first)} ms ` +
        `(title "${page.title}", ${page.metrics?.length} metrics), ` +
        `export part ${Math.round(whole)} ms`,
    );
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
