"""Turns wrk-pinned.sh output lines into a Markdown table of medians, with ratios to reference peers.

    python3 bench/scripts/summarize.py RESULTS.txt [REFERENCES] [--tsv OUT.tsv]

Lines look like `NAME c=C run=R req/s=X p50=Pms p99=Yms user_us/req=U sys_us/req=S errors=E` (p50 may be
absent in older files). NAME is
`<peer>@<scenario>` (or `<peer>-<scenario>`, split at the first dash); rows are grouped by scenario and
connections, and each row's req/s is divided by each reference peer's (REFERENCES: comma-separated, default
`hyper`) in the same group, and its user CPU by the first reference's. The median run is the one with the
median req/s; its latencies and CPU figures are reported with it. "per round" is the median, over the
rounds both ran, of the peer's req/s divided by the first reference's in the same round: `bench/run` runs
every peer once per round, so a drift of the machine between rounds cancels out of it. `--tsv` also writes
`group peer req/s p50 p99` rows (milliseconds) for plotting.
"""

import re
import sys
from collections import defaultdict

LINE = re.compile(
    r"^(?P<name>\S+) c=(?P<c>\d+) run=(?P<run>\d+) req/s=(?P<rps>[\d.]+) (?:p50=(?P<p50>\S+) )?p99=(?P<p99>\S+) "
    r"user_us/req=(?P<user>[\d.]+) sys_us/req=(?P<sys>[\d.]+) errors=(?P<errors>.*)$"
)


def ms(latency):
    """wrk's latency (`812.00us`, `1.92ms`, `1.20s`) in milliseconds; None when absent or zero. A zero is
    wrk's fault, not a measurement: under a pipelining script its latency histogram often reads 0 at some
    percentiles (wg/wrk#236, #354)."""
    if not latency:
        return None
    value = float(re.sub(r"[a-z]+$", "", latency))
    if value == 0:
        return None
    if latency.endswith("us"):
        return value / 1000
    if latency.endswith("ms"):
        return value
    return value * 1000


def fmt(value):
    return "-" if value is None else f"{value:.2f}"


def tsv_ms(value):
    return "NaN" if value is None else f"{value:.3f}"


def main():
    args = sys.argv[1:]
    tsv = None
    if "--tsv" in args:
        i = args.index("--tsv")
        tsv = args[i + 1]
        del args[i : i + 2]
    path = args[0]
    references = (args[1] if len(args) > 1 else "hyper").split(",")
    runs = defaultdict(list)
    for line in open(path, encoding="utf-8"):
        m = LINE.match(line.strip())
        if m:
            sep = "@" if "@" in m["name"] else "-"
            peer, _, scenario = m["name"].partition(sep)
            runs[(scenario, int(m["c"]), peer)].append(m)
    medians = {}
    for key, ms_ in runs.items():
        ordered = sorted(ms_, key=lambda m: float(m["rps"]))
        medians[key] = ordered[len(ordered) // 2]
    def per_round(scenario, c, peer):
        """Median over shared rounds of this peer's req/s over the first reference's, or None."""
        ref = {m["run"]: float(m["rps"]) for m in runs.get((scenario, c, references[0]), [])}
        ratios = sorted(
            float(m["rps"]) / ref[m["run"]] for m in runs[(scenario, c, peer)] if ref.get(m["run"])
        )
        return ratios[len(ratios) // 2] if ratios else None

    groups = sorted({(s, c) for s, c, _ in medians})
    ratio_heads = " | ".join(f"×{r}" for r in references)
    print(
        f"| scenario | conns | peer | req/s (median) | {ratio_heads} | ×{references[0]} per round | p50 ms | p99 ms "
        f"| user µs/req | ×{references[0]} | sys µs/req | errors |"
    )
    print("|---|---|---|---|" + "---|" * len(references) + "---|---|---|---|---|---|---|")
    rows = []
    for scenario, c in groups:
        for (s, cc, peer), m in sorted(medians.items(), key=lambda kv: -float(kv[1]["rps"])):
            if (s, cc) != (scenario, c):
                continue
            rps, user = float(m["rps"]), float(m["user"])
            ratios = []
            for r in references:
                ref = medians.get((scenario, c, r))
                ratios.append(f"{rps / float(ref['rps']):.2f}" if ref and float(ref["rps"]) else "-")
            first = medians.get((scenario, c, references[0]))
            r_user = f"{user / float(first['user']):.2f}" if first and float(first["user"]) else "-"
            errors = m["errors"].strip().rstrip(";") or "0"
            print(
                f"| {scenario} | {c} | {peer} | {rps:,.0f} | {' | '.join(ratios)} | {fmt(per_round(scenario, c, peer))} "
                f"| {fmt(ms(m['p50']))} | {fmt(ms(m['p99']))} | {user:.2f} "
                f"| {r_user} | {float(m['sys']):.2f} | {errors} |"
            )
            p50, p99 = ms(m["p50"]), ms(m["p99"])
            rows.append(f"{scenario}-c{c}\t{peer}\t{rps:.0f}\t{tsv_ms(p50)}\t{tsv_ms(p99)}")
    if tsv:
        with open(tsv, "w", encoding="utf-8") as out:
            out.write("\n".join(rows) + "\n")


main()
