"""A fast, minimal fake of LINE's Messaging API for the benchmarks, run as its own process.

`python -m bench.fakeline_server --port 0` prints `listening on http://127.0.0.1:PORT` and
answers the endpoints fundbot calls (reply, push, multicast, profile, quota, content) with
what LINE answers. It counts requests per endpoint; GET /__stats returns the counts and
POST /__reset zeroes them. Plain asyncio with keep-alive, so it is never the bottleneck.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import uuid
from collections import Counter

COUNTS: Counter[str] = Counter()
MESSAGES: Counter[str] = Counter()

SENT = {"sentMessages": [{"id": "1", "quoteToken": "q"}]}
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("POST", re.compile(r"^/v2/bot/message/reply$"), "reply"),
    ("POST", re.compile(r"^/v2/bot/message/push$"), "push"),
    ("POST", re.compile(r"^/v2/bot/message/multicast$"), "multicast"),
    ("GET", re.compile(r"^/v2/bot/profile/[^/]+$"), "profile"),
    ("GET", re.compile(r"^/v2/bot/message/quota$"), "quota"),
    ("GET", re.compile(r"^/v2/bot/message/quota/consumption$"), "consumption"),
    ("GET", re.compile(r"^/v2/bot/group/[^/]+/members/count$"), "members_count"),
    ("GET", re.compile(r"^/v2/bot/message/[^/]+/content$"), "content"),
]


def answer(method: str, path: str, body: bytes) -> tuple[int, bytes, str]:
    """Status, body and content type for one request."""
    path = path.split("?", 1)[0]
    if path == "/__stats":
        stats = {"requests": dict(COUNTS), "messages": dict(MESSAGES)}
        return 200, json.dumps(stats).encode(), "application/json"
    if path == "/__reset" and method == "POST":
        COUNTS.clear()
        MESSAGES.clear()
        return 200, b"{}", "application/json"
    for route_method, pattern, name in ROUTES:
        if method == route_method and pattern.match(path):
            COUNTS[name] += 1
            return _endpoint(name, path, body)
    return 404, b'{"message":"Not found"}', "application/json"


def _endpoint(name: str, path: str, body: bytes) -> tuple[int, bytes, str]:
    if name in ("reply", "push", "multicast"):
        try:
            MESSAGES[name] += len(json.loads(body or b"{}").get("messages", []))
        except ValueError:
            return 400, b'{"message":"The request body has 1 error(s)"}', "application/json"
        return 200, json.dumps(SENT if name != "multicast" else {}).encode(), "application/json"
    if name == "profile":
        user_id = path.rsplit("/", 1)[1]
        profile = {"userId": user_id, "displayName": "bench", "language": "th"}
        return 200, json.dumps(profile).encode(), "application/json"
    if name == "quota":
        return 200, b'{"type":"limited","value":1000000}', "application/json"
    if name == "consumption":
        return 200, json.dumps({"totalUsage": MESSAGES["push"]}).encode(), "application/json"
    if name == "members_count":
        return 200, b'{"count":12}', "application/json"
    # A 1x1 JPEG stands in for a slip photo.
    return 200, JPEG_1X1, "image/jpeg"


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Serve one keep-alive connection until the client closes it."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, *header_lines = head.decode("latin-1").split("\r\n")
            method, path, _version = request_line.split(" ", 2)
            headers = {}
            for line in header_lines:
                if ":" in line:
                    key, value = line.split(":", 1)
                    headers[key.strip().lower()] = value.strip()
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            status, payload, content_type = answer(method, path, body)
            writer.write(
                (
                    f"HTTP/1.1 {status} {'OK' if status == 200 else 'Error'}\r\n"
                    f"Content-Type: {content_type}\r\n"
                    f"Content-Length: {len(payload)}\r\n"
                    f"x-line-request-id: {uuid.uuid4()}\r\n"
                    "\r\n"
                ).encode()
                + payload
            )
            await writer.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (asyncio.IncompleteReadError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def main(host: str, port: int) -> None:
    """Listen on host:port and print the address (the parent process reads it)."""
    server = await asyncio.start_server(handle, host, port, backlog=512)
    bound = server.sockets[0].getsockname()
    print(f"listening on http://{bound[0]}:{bound[1]}", flush=True)
    async with server:
        await server.serve_forever()


JPEG_1X1 = bytes.fromhex(
    "ffd8ffe000104a46494600010100000100010000ffdb004300080606070605080707070909080a0c140d0c0b0b0c"
    "1912130f141d1a1f1e1d1a1c1c20242e2720222c231c1c2837292c30313434341f27393d38323c2e333432ffc000"
    "0b080001000101011100ffc4001f0000010501010101010100000000000000000102030405060708090a0bffc400"
    "b5100002010303020403050504040000017d01020300041105122131410613516107227114328191a1082342b1c1"
    "1552d1f02433627282090a161718191a25262728292a3435363738393a434445464748494a535455565758595a63"
    "6465666768696a737475767778797a838485868788898a92939495969798999aa2a3a4a5a6a7a8a9aab2b3b4b5b6"
    "b7b8b9bac2c3c4c5c6c7c8c9cad2d3d4d5d6d7d8d9dae1e2e3e4e5e6e7e8e9eaf1f2f3f4f5f6f7f8f9faffda0008"
    "010100003f00fbd3ffd9"
)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    args = parser.parse_args()
    try:
        asyncio.run(main(args.host, args.port))
    except KeyboardInterrupt:
        pass
