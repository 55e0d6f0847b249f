"""nats-py through lame-duck mode: requests in a loop against two servers.

Usage: lame_duck_client.py <url A> <url B>

Connects to A first (B is second in the server list), prints "ready" once
a first request got an answer, then keeps requesting until it has seen
the lame-duck INFO and had at least 20 answers from B after it (bounded:
2000 requests or 30 s). A request that times out (the one in flight when
A closes the connection) or finds no responder (A closes its clients one
by one, the responder there first) is retried, at most 50 times 0.1 s
apart; a request that never gets an answer is lost. Prints one JSON line with the counts.
"""

import asyncio
import json
import sys
import time

import nats
from nats.errors import NoRespondersError, TimeoutError, ConnectionClosedError


async def main(url_a, url_b):
    ldm = asyncio.Event()

    async def on_ldm():
        ldm.set()

    nc = await nats.connect(
        servers=[url_a, url_b],
        dont_randomize=True,
        lame_duck_mode_cb=on_ldm,
        reconnect_time_wait=0.1,
        max_reconnect_attempts=20,
    )
    answers = {"A": 0, "B": 0}
    b_after_ldm = 0
    lost = 0
    retries = 0
    errors = {}
    deadline = time.monotonic() + 30
    for i in range(2000):
        if time.monotonic() > deadline:
            break
        answer = None
        for _ in range(50):
            try:
                msg = await nc.request("svc", str(i).encode(), timeout=1)
                answer = msg.data.decode()
                break
            except (TimeoutError, NoRespondersError, ConnectionClosedError) as e:
                name = type(e).__name__
                errors[name] = errors.get(name, 0) + 1
                retries += 1
                await asyncio.sleep(0.1)
        if answer is None:
            lost += 1
            continue
        answers[answer] = answers.get(answer, 0) + 1
        if i == 0:
            print("ready", flush=True)
        if ldm.is_set() and answer == "B":
            b_after_ldm += 1
            if b_after_ldm >= 20:
                break
        await asyncio.sleep(0.01)
    print(json.dumps({"answers": answers, "lost": lost, "retries": retries,
                      "ldm": ldm.is_set(), "b_after_ldm": b_after_ldm,
                      "errors": errors, "reconnects": nc.stats["reconnects"]}), flush=True)
    await nc.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2]))
