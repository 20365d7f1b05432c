// The operations the examples run. Plain strings marked /* GraphQL */, so
// graphql-codegen types them and each client parses them its own way
// (Apollo's and urql's `gql`, graphql-sse's raw strings).

export const SESSIONS = /* GraphQL */ `
  query Sessions($first: Int!, $activity: Activity) {
    sessions(first: $first, activity: $activity) {
      totalCount
      edges {
        node {
          id
          title
          createdAt
          analyzedVideo { status url }
          ... on WeightliftingSession { exercise }
          ... on JumpingSession { endFrames }
        }
      }
    }
  }
`;

export const SESSION = /* GraphQL */ `
  query Session($id: ID!) {
    session(id: $id) {
      id
      title
      analyzedVideo { status url }
      angles(names: ["lkne_angle"], frames: { start: 0, end: 3 }) { name values }
    }
  }
`;

// The session page: title and metrics at once, the export (one more, slower,
// upstream call) in a later part. A client that can't read parts gets it all
// in one answer.
export const SESSION_PAGE = /* GraphQL */ `
  query SessionPage($id: ID!) {
    session(id: $id) {
      id
      title
      metrics { name value }
      ... @defer(label: "export") {
        export {
          timestamps(frames: { start: 0, end: 3 })
          metrics { name }
        }
      }
    }
  }
`;

export const RENAME = /* GraphQL */ `
  mutation Rename($id: ID!, $title: String!) {
    updateSession(id: $id, title: $title) { id title }
  }
`;

export const REQUEST_VIDEO = /* GraphQL */ `
  mutation RequestVideo($id: ID!) {
    requestAnalyzedVideo(id: $id) { status url }
  }
`;

// Each event carries the session node: a normalized cache updates the
// session it holds by itself (no updateQuery, no cache.modify).
export const VIDEO_READY = /* GraphQL */ `
  subscription VideoReady($id: ID!) {
    analyzedVideo(id: $id) {
      status
      session { id analyzedVideo { status url } }
    }
  }
`;

export const CREATE_SESSION = /* GraphQL */ `
  mutation CreateSession($video: Upload, $input: CreateSessionInput!) {
    createSession(video: $video, input: $input) { id title analyzedVideo { status } }
  }
`;
