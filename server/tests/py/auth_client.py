"""Authentication and accounts with the official nats-py client.

Usage: python3 auth_client.py MODE nats://127.0.0.1:PORT [ARGS...]
  userpass URL USER PASS   right credentials work, a wrong password fails
  token URL TOKEN          the token works, a wrong one fails
  nkey URL SEED            the NKEY user signs the nonce (needs `nkeys`)
  accounts URL             users a/a and c/c are in different accounts
Exits non-zero (with a message) on the first failed check; prints
"all checks passed" (or "skipped: ..." for nkey without the module).
"""
import asyncio
import sys

import nats


async def refused(**kw) -> bool:
    try:
        nc = await nats.connect(allow_reconnect=False, connect_timeout=2, max_reconnect_attempts=0, **kw)
    except Exception:
        return True
    try:
        await nc.flush(timeout=1)
    except Exception:
        return True
    finally:
        await nc.close()
    return False


async def round_trip(nc, subject: str) -> None:
    sub = await nc.subscribe(subject)
    await nc.flush()
    await nc.publish(subject, b"ping")
    msg = await sub.next_msg(timeout=2)
    assert msg.data == b"ping", msg.data
    await sub.unsubscribe()


async def userpass(url: str, user: str, password: str) -> None:
    nc = await nats.connect(url, user=user, password=password)
    await round_trip(nc, "py.auth.user")
    await nc.close()
    assert await refused(servers=[url], user=user, password=password + "x"), "wrong password accepted"
    assert await refused(servers=[url]), "no credentials accepted"


async def token(url: str, tok: str) -> None:
    nc = await nats.connect(url, token=tok)
    await round_trip(nc, "py.auth.token")
    await nc.close()
    assert await refused(servers=[url], token=tok + "x"), "wrong token accepted"


async def nkey(url: str, seed: str) -> bool:
    try:
        import nkeys  # noqa: F401
    except ImportError:
        return False
    nc = await nats.connect(url, nkeys_seed_str=seed)
    await round_trip(nc, "py.auth.nkey")
    await nc.close()
    return True


async def accounts(url: str) -> None:
    a = await nats.connect(url, user="a", password="a")
    c = await nats.connect(url, user="c", password="c")
    spy = await c.subscribe(">")
    await c.flush()
    await a.publish("py.secret", b"s")
    await a.flush()
    try:
        msg = await spy.next_msg(timeout=0.5)
        raise AssertionError(f"account C saw {msg.subject}")
    except nats.errors.TimeoutError:
        pass
    # Each account still works on its own.
    await round_trip(a, "py.acc.a")
    await round_trip(c, "py.acc.c")
    await a.close()
    await c.close()


async def main(argv) -> None:
    mode, url = argv[1], argv[2]
    if mode == "userpass":
        await userpass(url, argv[3], argv[4])
    elif mode == "token":
        await token(url, argv[3])
    elif mode == "nkey":
        if not await nkey(url, argv[3]):
            print("skipped: python nkeys module not available")
            return
    elif mode == "accounts":
        await accounts(url)
    else:
        raise SystemExit(f"unknown mode {mode}")
    print("all checks passed")


if __name__ == "__main__":
    asyncio.run(main(sys.argv))
