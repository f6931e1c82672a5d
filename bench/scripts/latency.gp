# Latency percentiles by peer (p50 and p99 of the median run, log scale), from summarize.py's TSV:
#   gnuplot -e "tsv='IN.tsv'; out='OUT.svg'; title='...'" bench/scripts/latency.gp
set terminal svg size 900,480 dynamic font "sans,11"
set output out
set title title
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set ylabel "latency, ms (log scale)"
set logscale y
set grid ytics
set key outside right top
set xtics rotate by -30 noenhanced
set datafile separator "\t"
set datafile missing "NaN"
plot tsv using 4:xtic(stringcolumn(1) . " " . stringcolumn(2)) title "p50" linecolor rgb "#3b6ea5", \
     tsv using 5 title "p99" linecolor rgb "#c8553d"
