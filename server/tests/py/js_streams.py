"""JetStream streams, key-value and object store with nats-py against rnatsd.

Usage: python3 js_streams.py nats://127.0.0.1:PORT
Exits non-zero (with a message) on the first failed check.

KV keys()/history() and object list()/multi-chunk get() use ordered push
consumers; they are not checked here (consumers work).
"""
import asyncio
import sys

import nats
from nats.js.api import StreamConfig, DiscardPolicy
from nats.js.errors import (
    APIError,
    KeyDeletedError,
    KeyNotFoundError,
    KeyWrongLastSequenceError,
    NotFoundError,
    ObjectNotFoundError,
)


async def streams(js) -> None:
    info = await js.add_stream(name="PY", subjects=["py.>"])
    assert info.config.name == "PY", info
    assert info.config.max_msgs == -1, info.config
    for i in range(5):
        ack = await js.publish(f"py.{i % 2}", f"m{i}".encode(), headers={"Nats-Msg-Id": f"id{i}"})
        assert ack.stream == "PY" and ack.seq == i + 1, ack
    dup = await js.publish("py.0", b"again", headers={"Nats-Msg-Id": "id4"})
    assert dup.duplicate and dup.seq == 5, dup

    # Expected-last-sequence mismatch is an APIError with Go's code.
    try:
        await js.publish("py.0", b"x", headers={"Nats-Expected-Last-Sequence": "1"})
        raise AssertionError("expected-last-sequence mismatch accepted")
    except APIError as e:
        assert e.err_code == 10071, e
        assert e.description == "wrong last sequence: 5", e

    msg = await js.get_msg("PY", 3)
    assert msg.subject == "py.0" and msg.data == b"m2", msg
    last = await js.get_last_msg("PY", "py.1")
    assert last.seq == 4, last

    assert await js.delete_msg("PY", 2)
    try:
        await js.get_msg("PY", 2)
        raise AssertionError("deleted message still readable")
    except NotFoundError as e:
        assert e.err_code == 10037, e

    info = await js.stream_info("PY", subjects_filter=">")
    assert info.state.messages == 4, info.state
    assert info.state.subjects == {"py.0": 3, "py.1": 1}, info.state.subjects
    assert info.state.num_deleted == 1, info.state

    assert await js.purge_stream("PY", subject="py.0", keep=1)
    info = await js.stream_info("PY")
    assert info.state.messages == 2, info.state

    names = await js.streams_info()
    assert [s.config.name for s in names] == ["PY"], names

    try:
        await js.add_stream(name="BAD", subjects=["bad..subject"])
        raise AssertionError("bad subject accepted")
    except APIError as e:
        assert e.code == 500 and e.err_code == 10052, e
        assert e.description == "invalid subject", e

    cfg = StreamConfig(
        name="DNPS",
        subjects=["dn.*"],
        discard=DiscardPolicy.NEW,
        max_msgs_per_subject=1,
        discard_new_per_subject=True,
    )
    await js.add_stream(config=cfg)
    await js.publish("dn.a", b"1")
    try:
        await js.publish("dn.a", b"2")
        raise AssertionError("discard new per subject did not refuse")
    except APIError as e:
        assert e.err_code == 10077, e
    await js.delete_stream("DNPS")
    try:
        await js.stream_info("DNPS")
        raise AssertionError("deleted stream still has info")
    except NotFoundError as e:
        assert e.err_code == 10059, e


async def key_value(js) -> None:
    kv = await js.create_key_value(bucket="pycfg", history=5)
    status = await kv.status()
    assert status.bucket == "pycfg" and status.history == 5, status
    assert status.values == 0, status

    r1 = await kv.put("color", b"red")
    assert r1 == 1, r1
    e = await kv.get("color")
    assert e.value == b"red" and e.revision == 1 and e.key == "color", e

    try:
        await kv.get("missing")
        raise AssertionError("missing key found")
    except KeyNotFoundError:
        pass

    # create() only if absent.
    try:
        await kv.create("color", b"x")
        raise AssertionError("create over an existing key succeeded")
    except KeyWrongLastSequenceError:
        pass
    r2 = await kv.create("size", b"L")
    assert r2 == 2, r2

    # update() at the right revision; a stale one fails.
    r3 = await kv.update("color", b"blue", last=1)
    assert r3 == 3, r3
    try:
        await kv.update("color", b"green", last=1)
        raise AssertionError("stale update succeeded")
    except KeyWrongLastSequenceError:
        pass
    old = await kv.get("color", revision=1)
    assert old.value == b"red", old

    await kv.delete("color")
    try:
        await kv.get("color")
        raise AssertionError("deleted key still readable")
    except KeyNotFoundError as e:
        # nats-py turns the delete marker it read into KeyNotFoundError.
        assert e.entry is not None and e.entry.revision == 4, e.entry
        assert e.op == "DEL", e.op
    # A deleted key can be created again.
    r5 = await kv.create("color", b"again")
    assert r5 == 5, r5

    await kv.purge("size")
    try:
        await kv.get("size")
        raise AssertionError("purged key still readable")
    except (KeyDeletedError, KeyNotFoundError):
        pass
    info = await js.stream_info("KV_pycfg", subjects_filter="$KV.pycfg.>")
    # size: only its purge marker is left; color: put, update, delete, create.
    assert info.state.subjects == {"$KV.pycfg.color": 4, "$KV.pycfg.size": 1}, info.state.subjects

    status = await kv.status()
    assert status.values == info.state.messages, status
    await js.delete_key_value("pycfg")


async def object_store(js) -> None:
    obs = await js.create_object_store("pyfiles")
    info = await obs.put("note.txt", b"hello object")
    assert info.name == "note.txt" and info.size == 12 and info.chunks == 1, info
    big = bytes(range(256)) * 1024
    info = await obs.put("big.bin", big)
    assert info.size == len(big) and info.chunks >= 2, info

    got = await obs.get_info("big.bin")
    assert got.size == len(big) and got.digest == info.digest, got

    await obs.delete("big.bin")
    try:
        got = await obs.get_info("big.bin")
        assert got.deleted, got
    except ObjectNotFoundError:
        pass
    st = await obs.status()
    assert st.bucket == "pyfiles", st
    await js.delete_object_store("pyfiles")


async def main(url: str) -> None:
    nc = await nats.connect(url)
    js = nc.jetstream(timeout=5)
    acct = await js.account_info()
    assert acct.streams == 0, acct
    await streams(js)
    await key_value(js)
    await object_store(js)
    await nc.close()
    print("all checks passed")


if __name__ == "__main__":
    try:
        asyncio.run(asyncio.wait_for(main(sys.argv[1]), timeout=60))
    except AssertionError as e:
        print(f"check failed: {e}", file=sys.stderr)
        raise
