"""Core messaging with the official nats-py client against rnatsd.

Usage: python3 core_client.py nats://127.0.0.1:PORT
Exits non-zero (with a message) on the first failed check.
"""
import asyncio
import sys

import nats
from nats.errors import NoRespondersError


async def main(url: str) -> None:
    nc = await nats.connect(url)
    other = await nats.connect(url)

    # Publish/subscribe with wildcards.
    got = []
    sub = await nc.subscribe("py.*.x")
    await nc.flush()
    await other.publish("py.a.x", b"one")
    await other.publish("py.b.y", b"nope")
    await other.flush()
    msg = await sub.next_msg(timeout=2)
    got.append(msg.data)
    assert got == [b"one"], got

    # Queue group: every message once across members.
    counts = {"a": 0, "b": 0}
    seen = []

    def handler(name):
        async def cb(m):
            counts[name] += 1
            seen.append(m.data)
        return cb

    await nc.subscribe("py.work", queue="q", cb=handler("a"))
    await other.subscribe("py.work", queue="q", cb=handler("b"))
    await nc.flush()
    await other.flush()
    for i in range(100):
        await nc.publish("py.work", str(i).encode())
    await nc.flush()
    for _ in range(50):
        if len(seen) == 100:
            break
        await asyncio.sleep(0.02)
    assert sorted(seen, key=int) == [str(i).encode() for i in range(100)], len(seen)
    assert counts["a"] + counts["b"] == 100, counts

    # Request/reply.
    async def responder(m):
        await m.respond(b"pong:" + m.data)

    await other.subscribe("py.svc", cb=responder)
    await other.flush()
    resp = await nc.request("py.svc", b"ping", timeout=2)
    assert resp.data == b"pong:ping", resp.data

    # Headers.
    hsub = await other.subscribe("py.h")
    await other.flush()
    await nc.publish("py.h", b"body", headers={"X-Test": "1"})
    hm = await hsub.next_msg(timeout=2)
    assert hm.headers and hm.headers.get("X-Test") == "1", hm.headers
    assert hm.data == b"body"

    # No responders.
    try:
        await nc.request("py.nobody", b"x", timeout=2)
        raise AssertionError("expected no responders")
    except NoRespondersError:
        pass

    # Auto-unsubscribe.
    asub = await nc.subscribe("py.auto", max_msgs=2)
    await nc.flush()
    for i in range(5):
        await other.publish("py.auto", str(i).encode())
    await other.flush()
    a1 = await asub.next_msg(timeout=2)
    a2 = await asub.next_msg(timeout=2)
    assert (a1.data, a2.data) == (b"0", b"1")

    await nc.drain()
    await other.drain()
    print("nats-py: all checks passed")


if __name__ == "__main__":
    asyncio.run(asyncio.wait_for(main(sys.argv[1]), timeout=30))
