// Uploading a video with apollo-upload-client (the GraphQL multipart request
// spec): the file streams through the gateway to the upstream.
//
//   cd examples/clients && npm ci && npm run codegen
//   node --import tsx upload.ts [video.mp4]     # against `make run`
import { readFile } from 'node:fs/promises';

import { ApolloClient, InMemoryCache, gql, type TypedDocumentNode } from '@apollo/client';
import UploadHttpLink from 'apollo-upload-client/UploadHttpLink.mjs';

import type {
  CreateSessionMutation,
  CreateSessionMutationVariables,
} from './src/generated/graphql.ts';
import possibleTypes from './src/generated/possible-types.ts';
import { CREATE_SESSION } from './src/operations.ts';

const GATEWAY = process.env.GATEWAY_URL ?? 'http://127.0.0.1:8000/graphql';
const AUTHORIZATION = process.env.GATEWAY_AUTHORIZATION ?? 'API-KEY alice-demo-key';

const CreateSession: TypedDocumentNode<CreateSessionMutation, CreateSessionMutationVariables> =
  gql(CREATE_SESSION);

const client = new ApolloClient({
  link: new UploadHttpLink({
    uri: GATEWAY,
    // Apollo-Require-Preflight: a cross-origin page's upload is preflighted.
    headers: { Authorization: AUTHORIZATION, 'Apollo-Require-Preflight': 'true' },
  }),
  cache: new InMemoryCache({ possibleTypes: possibleTypes.possibleTypes }),
});

export async function main(path?: string): Promise<void> {
  // A tiny MP4 header stands in when no file is given.
  const bytes = path ? await readFile(path) : Buffer.concat([Buffer.from('\0\0\0\x18ftypmp42'), Buffer.alloc(1024)]);
  const video = new File([bytes], path ?? 'clip.mp4', { type: 'video/mp4' });
  const { data } = await client.mutate({
    mutation: CreateSession,
    variables: { video, input: { jumping: { title: 'Uploaded by apollo-upload-client' } } },
  });
  const created = data!.createSession;
  console.log(`upload: ${created.title} ${created.id} ${created.analyzedVideo.status}`);
}

main(process.argv[2]).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
