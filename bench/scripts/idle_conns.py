"""Opens N keep-alive connections, sends one request on each, then holds them idle for HOLD seconds.

    python3 idle_conns.py HOST PORT N HOLD

Prints "open N" once every connection has had its response (so a caller can read the server's memory), then,
at the end, how many the server closed meanwhile. Standard library only.
"""

import asyncio
import sys


async def one(host, port, opened, results):
    try:
        reader, writer = await asyncio.open_connection(host, port)
        writer.write(b"GET /plaintext HTTP/1.1\r\nHost: idle\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        await reader.readexactly(length)
    except Exception as e:  # noqa: BLE001 - counted, not raised
        results["failed"] += 1
        opened.release()
        return None
    opened.release()
    return reader, writer


async def main():
    host, port, n, hold = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    results = {"failed": 0}
    opened = asyncio.Semaphore(0)
    conns = []
    for start in range(0, n, 500):
        batch = [one(host, port, opened, results) for _ in range(start, min(n, start + 500))]
        conns.extend(await asyncio.gather(*batch))
    live = [c for c in conns if c is not None]
    print(f"open {len(live)} failed {results['failed']}", flush=True)
    await asyncio.sleep(hold)
    closed = 0
    for reader, _ in live:
        try:
            data = await asyncio.wait_for(reader.read(1), timeout=0.001)
            if data == b"":
                closed += 1
        except asyncio.TimeoutError:
            pass
        except Exception:  # noqa: BLE001
            closed += 1
    print(f"held {len(live)} closed_by_server {closed}", flush=True)
    for _, writer in live:
        writer.close()


asyncio.run(main())
