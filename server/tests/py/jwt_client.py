"""JWT operator mode with the official nats-py client and creds files.

Usage: python3 jwt_client.py nats://127.0.0.1:PORT GOOD.creds REVOKED.creds OTHER_ACCOUNT.creds
  GOOD.creds           a user of account A: connects, round trip works
  REVOKED.creds        a revoked user of A: refused
  OTHER_ACCOUNT.creds  a user of account B: does not see A's messages
Exits non-zero on the first failed check; prints "all checks passed", or
"skipped: ..." when the `nkeys` module (needed for creds) is missing.
"""
import asyncio
import sys

import nats


async def connect(url: str, creds: str):
    return await nats.connect(url, user_credentials=creds, allow_reconnect=False,
                              connect_timeout=2, max_reconnect_attempts=0)


async def refused(url: str, creds: str) -> bool:
    try:
        nc = await connect(url, creds)
    except Exception:
        return True
    try:
        await nc.flush(timeout=1)
    except Exception:
        return True
    finally:
        await nc.close()
    return False


async def main() -> None:
    url, good, revoked, other = sys.argv[1:5]
    nc = await connect(url, good)
    sub = await nc.subscribe("jwt.py")
    await nc.flush()
    spy_nc = await connect(url, other)
    spy = await spy_nc.subscribe(">")
    await spy_nc.flush()
    await nc.publish("jwt.py", b"ping")
    msg = await sub.next_msg(timeout=2)
    assert msg.data == b"ping", msg.data
    try:
        leaked = await spy.next_msg(timeout=0.3)
        raise AssertionError(f"account B saw {leaked.subject}")
    except nats.errors.TimeoutError:
        pass
    assert await refused(url, revoked), "the revoked user was let in"
    await spy_nc.close()
    await nc.close()
    print("all checks passed")


if __name__ == "__main__":
    try:
        import nkeys  # noqa: F401
    except ImportError:
        print("skipped: the nkeys module is not installed")
        sys.exit(0)
    asyncio.run(main())
