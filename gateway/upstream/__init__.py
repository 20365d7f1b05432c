"""The upstream REST API: the client, its transport, the endpoint table,
resilience, lazily decoded JSON, the contract (with its YAML) and the live
drift check against it. Nothing here knows GraphQL."""
