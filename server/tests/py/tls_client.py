"""nats-py over TLS against rnatsd (driven by server/tests/nats_py.rs).

Usage: tls_client.py MODE URL CA [CERT KEY]
  MODE plain-tls  : TLS with the CA only (server does not verify clients)
  MODE client-cert: TLS with a client certificate (server has verify on);
                    also checks that a client without a certificate fails
  MODE tls-first  : TLS handshake before INFO (handshake_first)
Prints "all checks passed" on success; exits non-zero on failure.
"""
import asyncio
import ssl
import sys

import nats


def context(ca, cert=None, key=None):
    ctx = ssl.create_default_context(purpose=ssl.Purpose.SERVER_AUTH, cafile=ca)
    if cert:
        ctx.load_cert_chain(cert, key)
    return ctx


async def round_trip(nc, subject):
    sub = await nc.subscribe(subject)
    await nc.publish(subject, b"hello")
    msg = await sub.next_msg(timeout=2)
    assert msg.data == b"hello", msg.data
    await sub.unsubscribe()


async def connect(url, ctx, first=False):
    return await nats.connect(
        url,
        tls=ctx,
        tls_handshake_first=first,
        connect_timeout=3,
        max_reconnect_attempts=0,
        allow_reconnect=False,
    )


async def main():
    mode, url, ca = sys.argv[1], sys.argv[2], sys.argv[3]
    cert = sys.argv[4] if len(sys.argv) > 4 else None
    key = sys.argv[5] if len(sys.argv) > 5 else None
    if mode == "plain-tls":
        nc = await connect(url, context(ca))
        await round_trip(nc, "py.tls")
        await nc.close()
    elif mode == "client-cert":
        refused = False
        try:
            nc = await connect(url, context(ca))
            try:
                await round_trip(nc, "py.nocert")
            except Exception:
                refused = True
            await nc.close()
        except Exception:
            refused = True
        assert refused, "a client without a certificate must be refused"
        nc = await connect(url, context(ca, cert, key))
        await round_trip(nc, "py.cert")
        await nc.close()
    elif mode == "tls-first":
        nc = await connect(url, context(ca), first=True)
        await round_trip(nc, "py.first")
        await nc.close()
    else:
        raise SystemExit(f"unknown mode {mode}")
    print("all checks passed")


asyncio.run(asyncio.wait_for(main(), 30))
