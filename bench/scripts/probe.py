#!/usr/bin/env python3
"""Latency probe: sends COUNT sequential GETs to URL, one every INTERVAL seconds, and prints one line per
request: `status seconds started`
(`started`: seconds since the probe began). MODE `keepalive` reuses one connection (reopened if the server closes it);
`fresh` opens a new connection for every request, so the time includes connecting and being accepted.

    probe.py URL COUNT INTERVAL MODE

Meant to run beside a load generator (bench/scripts/saturation.sh), at a real-time priority (`chrt -f`) so
the time it reports is the server's, not the wait for a CPU the load generator holds."""
import http.client
import sys
import time
import urllib.parse

url, count, interval, mode = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
parts = urllib.parse.urlsplit(url)
target = parts.path or "/"


def connect():
    return http.client.HTTPConnection(parts.hostname, parts.port or 80, timeout=10)


conn = connect()
began = time.perf_counter()
for _ in range(count):
    if mode == "fresh":
        conn.close()
        conn = connect()
    start = time.perf_counter()
    try:
        conn.request("GET", target)
        response = conn.getresponse()
        response.read()
        status = response.status
        if response.will_close:
            conn.close()
            conn = connect()
    except (OSError, http.client.HTTPException) as e:
        status = type(e).__name__
        conn.close()
        conn = connect()
    print(status, f"{time.perf_counter() - start:.6f}", f"{start - began:.3f}")
    time.sleep(interval)
