# p50 and p99 per window over time, from crud-timeline.sh's TSV (columns: second, req/s, p50, p99, ...).
#   gnuplot -e "tsv='x.tsv'; out='x.svg'; title='...'" bench/scripts/timeline.gp
set terminal svg size 900,420 dynamic font "sans,11"
set output out
set title title
set datafile separator "\t"
set key below
set xlabel "seconds since the start"
set ylabel "latency (ms)"
set y2label "requests/s"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set grid ytics
plot tsv using 1:4 skip 1 with linespoints pt 7 ps 0.5 lw 2 title "p99", \
     tsv using 1:3 skip 1 with linespoints pt 7 ps 0.5 lw 2 title "p50", \
     tsv using 1:2 skip 1 axes x1y2 with lines lw 1 dt 2 title "requests/s (right axis)"
