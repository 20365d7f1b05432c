// session-gateway with trusted documents: the app ships only hashes.
// `npm run codegen` writes src/generated/gql/persisted-documents.json (the
// client preset, persistedDocuments with sha256); the gateway reads it with
// GATEWAY_TRUSTED_DOCUMENTS (and GATEWAY_TRUSTED_DOCUMENTS_ONLY=true to run
// nothing else); the app sends `documentId` instead of the query text.
//
//   GATEWAY_TRUSTED_DOCUMENTS=examples/clients/src/generated/gql/persisted-documents.json \
//   GATEWAY_TRUSTED_DOCUMENTS_ONLY=true make run
//   cd examples/clients && node --import tsx trusted.ts
import { readFileSync } from 'node:fs';

import type { SessionsQuery } from './src/generated/graphql.ts';

const GATEWAY = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8000/graphql';
const AUTHORIZATION = process.env.GATEWAY_AUTHORIZATION ?? 'API-KEY alice-demo-key';

const manifest = JSON.parse(
  readFileSync(new URL('./src/generated/gql/persisted-documents.json', import.meta.url), 'utf8'),
) as Record<string, string>;
// In an app the generated `graphql()` documents carry their hash; here we look
// the Sessions query up by name.
const sessionsId = Object.keys(manifest).find((hash) => manifest[hash].startsWith('query Sessions('));
if (!sessionsId) throw new Error('no Sessions query in the manifest: run `npm run codegen`');

async function post(body: object): Promise<{ status: number; json: any }> {
  const response = await fetch(GATEWAY, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: AUTHORIZATION },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

export async function main(): Promise<void> {
  const byId = await post({ documentId: `sha256:${sessionsId}`, variables: { first: 2 } });
  const data = byId.json.data as SessionsQuery;
  console.log(`documentId: ${byId.status}, ${data.sessions.edges.length} sessions`);
  const url = `${GATEWAY}?documentId=sha256:${sessionsId}&variables=${encodeURIComponent('{"first":1}')}`;
  const byGet = await fetch(url, { headers: { Authorization: AUTHORIZATION } });
  const got = (await byGet.json()) as { data: SessionsQuery };
  console.log(`documentId by GET: ${byGet.status}, ${got.data.sessions.edges.length} session`);
  const free = await post({ query: '{ sessions(first: 1) { totalCount } }' });
  console.log(`free text: ${free.status} ${free.json.errors[0].extensions.code}`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
