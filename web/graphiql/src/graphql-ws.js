// Re-export of the graphql-ws client as a same-origin ES module
// (served at /static/graphiql/graphql-ws.js) for the plain-JavaScript examples.
export { createClient, CloseCode, MessageType } from 'graphql-ws';
