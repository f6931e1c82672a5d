"""Sends N concurrent chunked uploads of SIZE bytes each (64 KiB chunks, as fast as the server takes them;
with PAUSE set in the environment, each upload stops for PAUSE seconds once it has sent 960 KiB, so that
every upload holds nearly a megabyte at once) to URL_PATH on HOST:PORT, while sampling the resident memory (VmRSS) of process PID every 0.1 s; prints the
statuses the uploads got, the peak RSS during the load, and RSS 5 s and 30 s after it ended.

    python3 upload_memory.py PID HOST PORT URL_PATH N SIZE [HEADER ...]

Standard library only.
"""

import asyncio
import collections
import os
import sys
import time

CHUNK = 64 * 1024
PAUSE = float(os.environ.get("PAUSE", "0"))


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


async def upload(host, port, path, size, headers, statuses):
    try:
        reader, writer = await asyncio.open_connection(host, port)
    except OSError:
        statuses["connect error"] += 1
        return
    head = f"POST {path} HTTP/1.1\r\nHost: up\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
    head += "".join(h + "\r\n" for h in headers) + "\r\n"

    async def send():
        writer.write(head.encode())
        chunk = f"{CHUNK:x}\r\n".encode() + b"[" * CHUNK + b"\r\n"
        sent = 0
        while sent < size:
            writer.write(chunk)
            await writer.drain()
            sent += CHUNK
            if PAUSE and sent == 15 * CHUNK:
                await asyncio.sleep(PAUSE)
        writer.write(b"0\r\n\r\n")
        await writer.drain()

    sender = asyncio.create_task(send())
    try:
        line = await asyncio.wait_for(reader.readline(), timeout=120)
        statuses[line.split(b" ")[1].decode() if line.startswith(b"HTTP/") else "closed"] += 1
    except (OSError, asyncio.TimeoutError, IndexError):
        statuses["error"] += 1
    sender.cancel()
    try:
        await sender
    except (OSError, asyncio.CancelledError):
        pass
    writer.close()


async def sample(pid, peak, done):
    while not done.is_set():
        peak[0] = max(peak[0], rss_kib(pid))
        await asyncio.sleep(0.1)


async def main():
    pid, host, port, path = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
    n, size, headers = int(sys.argv[5]), int(sys.argv[6]), sys.argv[7:]
    statuses = collections.Counter()
    peak, done = [rss_kib(pid)], asyncio.Event()
    print(f"RSS before: {peak[0] / 1024:.0f} MiB", flush=True)
    sampler = asyncio.create_task(sample(pid, peak, done))
    started = time.monotonic()
    await asyncio.gather(*(upload(host, port, path, size, headers, statuses) for _ in range(n)))
    took = time.monotonic() - started
    done.set()
    await sampler
    print(f"{n} uploads of {size} bytes in {took:.1f} s: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    print(f"RSS peak during: {peak[0] / 1024:.0f} MiB")
    await asyncio.sleep(5)
    print(f"RSS 5 s after: {rss_kib(pid) / 1024:.0f} MiB")
    await asyncio.sleep(25)
    print(f"RSS 30 s after: {rss_kib(pid) / 1024:.0f} MiB")


if __name__ == "__main__":
    asyncio.run(main())
