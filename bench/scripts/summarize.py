"""Turns wrk-pinned.sh output lines into a Markdown table of medians, with ratios to a reference peer.

    python3 bench/scripts/summarize.py RESULTS.txt [REFERENCE_PREFIX]

Lines look like `NAME c=C run=R req/s=X p99=Yms user_us/req=U sys_us/req=S errors=E`. NAME is
`<peer>-<scenario>`; rows are grouped by scenario and connections, and each row's req/s and user CPU are
divided by the reference peer's (default `hyper`) in the same group. The median run is the one with the median
req/s; its p99 and CPU figures are reported with it.
"""

import re
import sys
from collections import defaultdict

LINE = re.compile(
    r"^(?P<name>\S+) c=(?P<c>\d+) run=\d+ req/s=(?P<rps>[\d.]+) p99=(?P<p99>\S+) "
    r"user_us/req=(?P<user>[\d.]+) sys_us/req=(?P<sys>[\d.]+) errors=(?P<errors>.*)$"
)


def ms(p99):
    value = float(re.sub(r"[a-z]+$", "", p99))
    if p99.endswith("us"):
        return value / 1000
    if p99.endswith("ms"):
        return value
    return value * 1000


def main():
    path = sys.argv[1]
    reference = sys.argv[2] if len(sys.argv) > 2 else "hyper"
    runs = defaultdict(list)
    for line in open(path, encoding="utf-8"):
        m = LINE.match(line.strip())
        if m:
            peer, _, scenario = m["name"].partition("-")
            runs[(scenario, int(m["c"]), peer)].append(m)
    medians = {}
    for key, ms_ in runs.items():
        ordered = sorted(ms_, key=lambda m: float(m["rps"]))
        medians[key] = ordered[len(ordered) // 2]
    groups = sorted({(s, c) for s, c, _ in medians})
    print(f"| scenario | conns | peer | req/s (median) | ×{reference} | p99 ms | user µs/req | ×{reference} | sys µs/req | errors |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for scenario, c in groups:
        ref = medians.get((scenario, c, reference))
        for (s, cc, peer), m in sorted(medians.items(), key=lambda kv: -float(kv[1]["rps"])):
            if (s, cc) != (scenario, c):
                continue
            rps, user = float(m["rps"]), float(m["user"])
            r_rps = f"{rps / float(ref['rps']):.2f}" if ref else "-"
            r_user = f"{user / float(ref['user']):.2f}" if ref and float(ref["user"]) else "-"
            errors = m["errors"].strip().rstrip(";") or "0"
            print(
                f"| {scenario} | {c} | {peer} | {rps:,.0f} | {r_rps} | {ms(m['p99']):.2f} | {user:.2f} | {r_user} "
                f"| {float(m['sys']):.2f} | {errors} |"
            )


main()
