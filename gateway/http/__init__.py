"""The HTTP edge: the app factory, the GraphQL view, probes, negotiation, CORS,
guards, WebSocket bounds, persisted queries, GraphiQL and drain. The only
place Starlette and the schema are wired together."""
