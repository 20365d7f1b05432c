/* eslint-disable */
import * as types from './graphql.js';
import { TypedDocumentNode as DocumentNode } from '@graphql-typed-document-node/core';

/**
 * Map of all GraphQL operations in the project.
 *
 * This map has several performance disadvantages:
 * 1. It is not tree-shakeable, so it will include all operations in the project.
 * 2. It is not minifiable, so the string of a GraphQL query will be multiple times inside the bundle.
 * 3. It does not support dead code elimination, so it will add unused operations.
 *
 * Therefore it is highly recommended to use the babel or swc plugin for production.
 * Learn more about it here: https://the-guild.dev/graphql/codegen/plugins/presets/preset-client#reducing-bundle-size
 */
type Documents = {
    "\n  query Sessions($first: Int!, $activity: Activity) {\n    sessions(first: $first, activity: $activity) {\n      totalCount\n      edges {\n        node {\n          id\n          title\n          createdAt\n          analyzedVideo { status url }\n          ... on WeightliftingSession { exercise }\n          ... on JumpingSession { endFrames }\n        }\n      }\n    }\n  }\n": typeof types.SessionsDocument,
    "\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      title\n      analyzedVideo { status url }\n      angles(names: [\"lkne_angle\"], frames: { start: 0, end: 3 }) { name values }\n    }\n  }\n": typeof types.SessionDocument,
    "\n  query SessionPage($id: ID!) {\n    session(id: $id) {\n      id\n      title\n      metrics { name value }\n      ... @defer(label: \"export\") {\n        export {\n          timestamps(frames: { start: 0, end: 3 })\n          metrics { name }\n        }\n      }\n    }\n  }\n": typeof types.SessionPageDocument,
    "\n  mutation Rename($id: ID!, $title: String!) {\n    updateSession(id: $id, title: $title) { id title }\n  }\n": typeof types.RenameDocument,
    "\n  mutation RequestVideo($id: ID!) {\n    requestAnalyzedVideo(id: $id) { status url }\n  }\n": typeof types.RequestVideoDocument,
    "\n  subscription VideoReady($id: ID!) {\n    analyzedVideo(id: $id) {\n      status\n      session { id analyzedVideo { status url } }\n    }\n  }\n": typeof types.VideoReadyDocument,
    "\n  mutation CreateSession($video: Upload, $input: CreateSessionInput!) {\n    createSession(video: $video, input: $input) { id title analyzedVideo { status } }\n  }\n": typeof types.CreateSessionDocument,
};
const documents: Documents = {
    "\n  query Sessions($first: Int!, $activity: Activity) {\n    sessions(first: $first, activity: $activity) {\n      totalCount\n      edges {\n        node {\n          id\n          title\n          createdAt\n          analyzedVideo { status url }\n          ... on WeightliftingSession { exercise }\n          ... on JumpingSession { endFrames }\n        }\n      }\n    }\n  }\n": types.SessionsDocument,
    "\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      title\n      analyzedVideo { status url }\n      angles(names: [\"lkne_angle\"], frames: { start: 0, end: 3 }) { name values }\n    }\n  }\n": types.SessionDocument,
    "\n  query SessionPage($id: ID!) {\n    session(id: $id) {\n      id\n      title\n      metrics { name value }\n      ... @defer(label: \"export\") {\n        export {\n          timestamps(frames: { start: 0, end: 3 })\n          metrics { name }\n        }\n      }\n    }\n  }\n": types.SessionPageDocument,
    "\n  mutation Rename($id: ID!, $title: String!) {\n    updateSession(id: $id, title: $title) { id title }\n  }\n": types.RenameDocument,
    "\n  mutation RequestVideo($id: ID!) {\n    requestAnalyzedVideo(id: $id) { status url }\n  }\n": types.RequestVideoDocument,
    "\n  subscription VideoReady($id: ID!) {\n    analyzedVideo(id: $id) {\n      status\n      session { id analyzedVideo { status url } }\n    }\n  }\n": types.VideoReadyDocument,
    "\n  mutation CreateSession($video: Upload, $input: CreateSessionInput!) {\n    createSession(video: $video, input: $input) { id title analyzedVideo { status } }\n  }\n": types.CreateSessionDocument,
};

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 *
 *
 * @example
 * ```ts
 * const query = graphql(`query GetUser($id: ID!) { user(id: $id) { name } }`);
 * ```
 *
 * The query argument is unknown!
 * Please regenerate the types.
 */
export function graphql(source: string): unknown;

/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Sessions($first: Int!, $activity: Activity) {\n    sessions(first: $first, activity: $activity) {\n      totalCount\n      edges {\n        node {\n          id\n          title\n          createdAt\n          analyzedVideo { status url }\n          ... on WeightliftingSession { exercise }\n          ... on JumpingSession { endFrames }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query Sessions($first: Int!, $activity: Activity) {\n    sessions(first: $first, activity: $activity) {\n      totalCount\n      edges {\n        node {\n          id\n          title\n          createdAt\n          analyzedVideo { status url }\n          ... on WeightliftingSession { exercise }\n          ... on JumpingSession { endFrames }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      title\n      analyzedVideo { status url }\n      angles(names: [\"lkne_angle\"], frames: { start: 0, end: 3 }) { name values }\n    }\n  }\n"): (typeof documents)["\n  query Session($id: ID!) {\n    session(id: $id) {\n      id\n      title\n      analyzedVideo { status url }\n      angles(names: [\"lkne_angle\"], frames: { start: 0, end: 3 }) { name values }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  query SessionPage($id: ID!) {\n    session(id: $id) {\n      id\n      title\n      metrics { name value }\n      ... @defer(label: \"export\") {\n        export {\n          timestamps(frames: { start: 0, end: 3 })\n          metrics { name }\n        }\n      }\n    }\n  }\n"): (typeof documents)["\n  query SessionPage($id: ID!) {\n    session(id: $id) {\n      id\n      title\n      metrics { name value }\n      ... @defer(label: \"export\") {\n        export {\n          timestamps(frames: { start: 0, end: 3 })\n          metrics { name }\n        }\n      }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation Rename($id: ID!, $title: String!) {\n    updateSession(id: $id, title: $title) { id title }\n  }\n"): (typeof documents)["\n  mutation Rename($id: ID!, $title: String!) {\n    updateSession(id: $id, title: $title) { id title }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation RequestVideo($id: ID!) {\n    requestAnalyzedVideo(id: $id) { status url }\n  }\n"): (typeof documents)["\n  mutation RequestVideo($id: ID!) {\n    requestAnalyzedVideo(id: $id) { status url }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  subscription VideoReady($id: ID!) {\n    analyzedVideo(id: $id) {\n      status\n      session { id analyzedVideo { status url } }\n    }\n  }\n"): (typeof documents)["\n  subscription VideoReady($id: ID!) {\n    analyzedVideo(id: $id) {\n      status\n      session { id analyzedVideo { status url } }\n    }\n  }\n"];
/**
 * The graphql function is used to parse GraphQL queries into a document that can be used by GraphQL clients.
 */
export function graphql(source: "\n  mutation CreateSession($video: Upload, $input: CreateSessionInput!) {\n    createSession(video: $video, input: $input) { id title analyzedVideo { status } }\n  }\n"): (typeof documents)["\n  mutation CreateSession($video: Upload, $input: CreateSessionInput!) {\n    createSession(video: $video, input: $input) { id title analyzedVideo { status } }\n  }\n"];

export function graphql(source: string) {
  return (documents as any)[source] ?? {};
}

export type DocumentType<TDocumentNode extends DocumentNode<any, any>> = TDocumentNode extends DocumentNode<  infer TType,  any>  ? TType  : never;