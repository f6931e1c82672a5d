"""Summarizes Locust's per-second history CSVs of the ramp-up run and writes the timeline data for gnuplot.

    python3 bench/scripts/ramp_report.py OUT_PREFIX PEER=HISTORY.csv [PEER=HISTORY.csv ...]

Prints a Markdown table per peer and phase (holding at 100 and at 500 users): median requests/s, error rate,
and the median of the per-second p50 and p99 latencies. Writes OUT_PREFIX-<peer>.tsv (seconds, users,
requests/s, failures/s, p99 ms) for each peer.
"""

import csv
import statistics
import sys


def number(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def main():
    prefix = sys.argv[1]
    print("| peer | phase | req/s (median) | errors | p50 ms | p99 ms |")
    print("|---|---|---|---|---|---|")
    for arg in sys.argv[2:]:
        peer, path = arg.split("=", 1)
        rows = [r for r in csv.DictReader(open(path, encoding="utf-8")) if r["Name"] == "Aggregated"]
        if not rows:
            print(f"| {peer} | no data | | | | |")
            continue
        start = int(rows[0]["Timestamp"])
        with open(f"{prefix}-{peer}.tsv", "w", encoding="utf-8") as out:
            for r in rows:
                out.write(
                    f"{int(r['Timestamp']) - start}\t{r['User Count']}\t{number(r['Requests/s']):.1f}\t"
                    f"{number(r['Failures/s']):.1f}\t{number(r['99%']):.0f}\n"
                )
        for phase, users, window in (("holding 100 users", 100, (30, 45)), ("holding 500 users", 500, (75, 90))):
            held = [r for r in rows if window[0] <= int(r["Timestamp"]) - start < window[1]]
            if not held:
                continue
            rps = statistics.median(number(r["Requests/s"]) for r in held)
            fails = sum(number(r["Failures/s"]) for r in held)
            total = sum(number(r["Requests/s"]) for r in held)
            p50 = statistics.median(number(r["50%"]) for r in held)
            p99 = statistics.median(number(r["99%"]) for r in held)
            rate = f"{100 * fails / total:.1f} %" if total else "-"
            print(f"| {peer} | {phase} | {rps:,.0f} | {rate} | {p50:.0f} | {p99:.0f} |")


main()
