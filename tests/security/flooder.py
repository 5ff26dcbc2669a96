"""The flood of tests/security/test_flood.py, in a process of its own (its
sending must not slow the test's own customer): `sockets` connections from one
client address, each asking for a new session every few messages and sending
as fast as it can for `seconds`. Prints what came back, as JSON.

    python -m tests.security.flooder <hub url> <address> <seconds> [sockets]
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections import Counter
from typing import Any

import socketio

MESSAGES_PER_SESSION = 5


async def flood_one(url: str, address: str, until: float, seen: Counter) -> None:
    loop = asyncio.get_running_loop()
    sent = 0
    while loop.time() < until:  # closed by the hub: straight back
        client = socketio.AsyncClient(reconnection=False)

        @client.on("*")
        async def any_event(event: str, data: Any = None) -> None:
            error = (data.get("metadata") or {}).get("error") if isinstance(data, dict) else None
            seen[f"{event}:{error}" if error else event] += 1

        try:
            await client.connect(url, transports=["websocket"], headers={"X-Forwarded-For": address}, wait_timeout=5)
        except socketio.exceptions.ConnectionError:
            seen["connect refused"] += 1
            await asyncio.sleep(0.01)
            continue
        seen["connected"] += 1
        try:
            while loop.time() < until and client.connected:
                if sent % MESSAGES_PER_SESSION == 0:
                    await client.emit("session_request", {"session_id": None})
                    seen["session_request"] += 1
                await client.emit("user_uttered", {"message": f"flood {sent}", "message_id": f"{address}-{sent}"})
                sent += 1
                seen["sent"] += 1
                await asyncio.sleep(0)  # as fast as it can, but let the socket write
        except socketio.exceptions.SocketIOError:
            pass
        if not client.connected:
            seen["closed by the hub"] += 1
            continue
        await asyncio.sleep(1)  # what the hub still answers
        await client.disconnect()


async def main(url: str, address: str, seconds: float, sockets: int) -> None:
    seen: Counter = Counter()
    until = asyncio.get_running_loop().time() + seconds
    await asyncio.gather(*(flood_one(url, address, until, seen) for _ in range(sockets)))
    print(json.dumps(dict(seen)))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]) if len(sys.argv) > 4 else 3))
