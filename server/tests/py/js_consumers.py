"""JetStream consumers with the official nats-py client against rnatsd:
pull, push, ordered consumers and key-value watch.

Usage: python3 js_consumers.py nats://127.0.0.1:PORT
Exits non-zero (with a message) on the first failed check.
"""
import asyncio
import sys

import nats
from nats.js.api import ConsumerConfig, AckPolicy, StreamConfig


async def main(url: str) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream()
    await js.add_stream(StreamConfig(name="PY", subjects=["py.>"]))
    for i in range(5):
        ack = await js.publish(f"py.{i}", f"m{i}".encode())
        assert ack.seq == i + 1, ack

    # Pull: fetch a batch and ack.
    psub = await js.pull_subscribe("py.>", durable="puller")
    msgs = await psub.fetch(5, timeout=5)
    assert [m.data for m in msgs] == [f"m{i}".encode() for i in range(5)], msgs
    for m in msgs:
        await m.ack()
    info = await js.consumer_info("PY", "puller")
    assert info.num_ack_pending == 0, info
    assert info.ack_floor.stream_seq == 5, info
    # An empty fetch times out.
    try:
        await psub.fetch(1, timeout=0.5)
        raise AssertionError("fetch on an empty consumer returned messages")
    except nats.errors.TimeoutError:
        pass

    # A fetch with idle heartbeats waits across them for a late message.
    async def late():
        await asyncio.sleep(1.2)
        await js.publish("py.hb", b"hb")
    task = asyncio.create_task(late())
    msgs = await psub.fetch(1, timeout=4, heartbeat=0.5)
    await task
    assert [m.data for m in msgs] == [b"hb"], msgs
    await msgs[0].ack_sync()

    # Push: a durable push subscription with explicit acks.
    got = []
    done = asyncio.Event()

    async def cb(m):
        got.append(m.data)
        await m.ack()
        if len(got) == 6:
            done.set()

    sub = await js.subscribe("py.>", durable="pusher", cb=cb, manual_ack=True)
    await asyncio.wait_for(done.wait(), 5)
    assert got == [f"m{i}".encode() for i in range(5)] + [b"hb"], got
    info = await js.consumer_info("PY", "pusher")
    assert info.push_bound, info
    await sub.unsubscribe()

    # Ordered consumer: flow control and heartbeats, ack none.
    osub = await js.subscribe("py.>", ordered_consumer=True, idle_heartbeat=1.0)
    seen = []
    for _ in range(6):
        m = await osub.next_msg(timeout=5)
        seen.append(m.data)
    assert seen == [f"m{i}".encode() for i in range(5)] + [b"hb"], seen
    await js.publish("py.late", b"late")
    m = await osub.next_msg(timeout=5)
    assert m.data == b"late", m
    # The client recreates an ordered consumer that went away (a gap): its
    # heartbeats stop, and it resumes after the last stream sequence seen.
    name = (await osub.consumer_info()).name
    await js.delete_consumer("PY", name)
    await js.publish("py.after", b"after")
    m = await osub.next_msg(timeout=10)
    assert m.data == b"after", m
    assert (await osub.consumer_info()).name != name
    await osub.unsubscribe()

    # Key-value watch.
    kv = await js.create_key_value(bucket="pycfg", history=5)
    await kv.put("color", b"red")
    w = await kv.watchall()
    first = await w.updates(timeout=5)
    assert first is not None and first.key == "color" and first.value == b"red", first
    marker = await w.updates(timeout=5)
    assert marker is None, marker  # end of initial values
    await kv.put("color", b"blue")
    e = await w.updates(timeout=5)
    assert e.key == "color" and e.value == b"blue", e
    await w.stop()
    keys = await kv.keys()
    assert keys == ["color"], keys
    hist = await kv.history("color")
    assert [h.value for h in hist] == [b"red", b"blue"], hist

    await nc.close()
    print("all checks passed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
