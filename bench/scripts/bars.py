"""Grouped bar chart of requests/s from summarize.py's TSV: one cluster per scenario and concurrency, one
colour per peer (the same colour for a peer in every chart), each bar labelled with its value.

    python3 bench/scripts/bars.py IN.tsv OUT.svg "title"

The TSV's rows are `group<TAB>peer<TAB>req/s<TAB>p50 ms<TAB>p99 ms`; gnuplot draws the chart.
"""

import os
import subprocess
import sys
import tempfile

# One colour per peer, fixed, so that a peer looks the same in every chart.
COLOURS = {
    "peregrine": "#d95f02",
    "axum": "#1b9e77",
    "actix": "#7570b3",
    "hyper": "#66a61e",
    "go": "#17becf",
    "nginx": "#8c564b",
    "falcon-gunicorn-1w": "#3b6ea5",
    "falcon-gunicorn-Nw": "#a6cee3",
    "falcon-uvicorn": "#e7298a",
    "flask-gunicorn": "#999999",
    "fastapi-uvicorn": "#e6ab02",
}
SPARE = ["#444444", "#bcbd22", "#ff9896", "#c5b0d5"]


def main():
    tsv, out, title = sys.argv[1], sys.argv[2], sys.argv[3]
    groups, peers, value = [], [], {}
    for line in open(tsv, encoding="utf-8"):
        fields = line.rstrip("\n").split("\t")
        if len(fields) < 3:
            continue
        group, peer, rps = fields[0], fields[1], float(fields[2])
        if group not in groups:
            groups.append(group)
        if peer not in peers:
            peers.append(peer)
        value[(group, peer)] = rps
    if not groups:
        sys.exit(f"{tsv}: no rows")
    # Peers in a fixed order (the colour table's), so clusters read alike from chart to chart.
    order = list(COLOURS)
    peers.sort(key=lambda p: order.index(p) if p in order else len(order))
    colours = {}
    spare = iter(SPARE)
    for p in peers:
        colours[p] = COLOURS.get(p) or next(spare, "#000000")

    with tempfile.TemporaryDirectory() as tmp:
        data = os.path.join(tmp, "matrix.dat")
        with open(data, "w", encoding="utf-8") as f:
            for g in groups:
                f.write(g + "\t" + "\t".join(str(value.get((g, p), "NaN")) for p in peers) + "\n")
        n = len(peers)
        width = 0.8 / n  # the cluster fills 80 % of its slot
        plots = [f"'{data}' using 0:(NaN):xtic(1) notitle"]
        for j, p in enumerate(peers):
            x = f"($0 + {(j - (n - 1) / 2) * width:.4f})"
            column = j + 2
            plots.append(f"'' using {x}:{column} with boxes title '{p}' linecolor rgb '{colours[p]}'")
            plots.append(
                f"'' using {x}:{column}:(short(column({column}))) "
                "with labels center offset 0,0.6 font ',8' notitle"
            )
        script = f"""
set terminal svg size {max(900, 60 * n * len(groups) + 240)},520 dynamic font "sans,11"
set output '{out}'
set title "{title}" noenhanced
set datafile separator "\\t"
set datafile missing "NaN"
set style fill solid 0.9 border -1
set boxwidth {width:.4f}
set ylabel "requests/s (median of rounds)"
set xrange [-0.6:{len(groups) - 0.4}]
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set grid ytics
set key outside right top noenhanced
set xtics noenhanced
short(v) = v >= 100000 ? sprintf('%.0fk', v / 1000) : v >= 1000 ? sprintf('%.1fk', v / 1000) : sprintf('%.0f', v)
plot {", ".join(plots)}
"""
        subprocess.run(["gnuplot"], input=script, text=True, check=True)


main()
