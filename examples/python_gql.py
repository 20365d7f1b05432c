"""session-gateway from Python with gql: HTTP for queries, WebSocket for subscriptions.

    pip install "gql[httpx,websockets]>=4"
    python examples/python_gql.py [API_KEY] [GATEWAY_URL]

Auth: HTTP requests carry ``Authorization: API-KEY <key>``; the WebSocket
(graphql-transport-ws) carries the same header in its ``connection_init``
payload (gql's ``init_payload``), which is where the gateway looks for it.
"""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from gql import Client, GraphQLRequest, gql
from gql.transport.httpx import HTTPXAsyncTransport
from gql.transport.websockets import WebsocketsTransport

GATEWAY = "http://localhost:8000/graphql"  # `make run` (sandbox mode)
API_KEY = "alice-demo-key"  # a sandbox demo key; use your own in production

SESSIONS = gql(
    """
    query Sessions($first: Int!) {
      sessions(first: $first) {
        edges {
          node { id sessionId activity title createdAt analyzedVideo { status url } }
        }
      }
    }
    """
)

ANALYZED_VIDEOS = gql(
    """
    subscription AnalyzedVideos($ids: [ID!]!) {
      analyzedVideos(ids: $ids) { id sessionId status url }
    }
    """
)


async def main(api_key: str = API_KEY, url: str = GATEWAY) -> None:
    authorization = {"Authorization": f"API-KEY {api_key}"}

    http = HTTPXAsyncTransport(url=url, headers=authorization)
    async with Client(transport=http) as session:
        result: dict[str, Any] = await session.execute(
            GraphQLRequest(SESSIONS, variable_values={"first": 20})
        )
    sessions = [edge["node"] for edge in result["sessions"]["edges"] if edge["node"]]
    for s in sessions:
        print(f"{s['analyzedVideo']['status']:<10} {s['title'] or s['sessionId']}")

    pending = {s["id"] for s in sessions if s["analyzedVideo"]["status"] == "PROCESSING"}
    if not pending:
        return

    ws = WebsocketsTransport(
        url=url.replace("http", "ws", 1),
        subprotocols=[WebsocketsTransport.GRAPHQLWS_SUBPROTOCOL],  # graphql-transport-ws
        init_payload=authorization,  # -> connection_init payload
    )
    async with Client(transport=ws) as session:
        # the current status of each comes at once, then every change
        watch = GraphQLRequest(ANALYZED_VIDEOS, variable_values={"ids": sorted(pending)})
        async for event in session.subscribe(watch):
            video = event["analyzedVideos"]
            print(f"{video['sessionId']}: {video['status']} {video['url'] or ''}".rstrip())
            if video["status"] != "PROCESSING":
                pending.discard(video["id"])
            if not pending:
                break


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:3]))
