"""A write load with an outcome log: THREADS threads each POST `{"username": "<tag>-<thread>-<n>"}` to
http://HOST:PORT/users/ one after another until STOP_FILE exists, and log one line per attempt:

    ack <name>      201: the server acknowledged the write
    refused <name> <status>   an answer that is not 201 (503 while the database is down, say): not written
    unknown <name>  no answer (connection refused or reset, timeout): may or may not be written

    python3 writer.py HOST PORT THREADS TAG STOP_FILE LOG

Standard library only.
"""

import http.client
import json
import os
import sys
import threading
import time


def worker(host, port, tag, index, stop_file, out, lock):
    n = 0
    conn = None
    while not os.path.exists(stop_file):
        name = f"{tag}-{index}-{n}"
        n += 1
        body = json.dumps({"username": name})
        try:
            if conn is None:
                conn = http.client.HTTPConnection(host, port, timeout=5)
            conn.request("POST", "/users/", body, {"Content-Type": "application/json"})
            resp = conn.getresponse()
            resp.read()
            line = f"ack {name}" if resp.status == 201 else f"refused {name} {resp.status}"
            if resp.getheader("connection", "").lower() == "close":
                conn.close()
                conn = None
        except (OSError, http.client.HTTPException):
            line = f"unknown {name}"
            if conn is not None:
                conn.close()
            conn = None
            time.sleep(0.05)
        with lock:
            out.write(line + "\n")


def main():
    host, port, threads, tag, stop_file, log = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
    lock = threading.Lock()
    with open(log, "w", buffering=1) as out:
        workers = [threading.Thread(target=worker, args=(host, port, tag, i, stop_file, out, lock)) for i in range(threads)]
        for w in workers:
            w.start()
        for w in workers:
            w.join()


if __name__ == "__main__":
    main()
