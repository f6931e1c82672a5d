"""Summarizes the ramp run (bench/scripts/ramp-wrk.sh's TSV per peer).

    python3 bench/scripts/ramp_report.py OUT_PREFIX PEER [PEER ...]

Reads OUT_PREFIX-<peer>.tsv (second, users, req/s, failures/s, p99 ms, server CPU %, server core busy %,
client core busy %) and prints a Markdown table per hold (100 and 500 users): the medians over the hold's
windows, and which side limits: the server's core when it was 90 % busy or more (the server, with the
PostgreSQL processes that share the core); else no core is full and the server is waiting (on the database's
round trips, or serving one request at a time).
"""

import csv
import statistics
import sys


def rows(path):
    with open(path, encoding="utf-8") as f:
        return [{k: float(v) for k, v in r.items()} for r in csv.DictReader(f, delimiter="\t")]


def main():
    prefix, peers = sys.argv[1], sys.argv[2:]
    print("| peer | users (hold) | req/s | failures/s | p99 ms | server CPU | server core busy | client core busy | limited by |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---|")
    for peer in peers:
        data = rows(f"{prefix}-{peer}.tsv")
        for users in (100, 500):
            hold = [r for r in data if r["users"] == users]
            if not hold:
                continue
            med = {k: statistics.median(r[k] for r in hold) for k in hold[0]}
            limit = "server's core" if med["server_core_busy_pct"] >= 90 else "waiting, no core full"
            print(
                f"| {peer} | {users} | {med['req_s']:,.0f} | {med['failures_s']:.1f} | {med['p99_ms']:.2f} "
                f"| {med['server_cpu_pct']:.0f} % | {med['server_core_busy_pct']:.0f} % "
                f"| {med['client_core_busy_pct']:.0f} % | {limit} |"
            )


main()
