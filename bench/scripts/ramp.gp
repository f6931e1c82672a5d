# The ramp timeline from bench/scripts/ramp-wrk.sh's TSVs: requests/s per peer with the users (connections)
# on the right axis, and below it each server's CPU and its core's (shared with PostgreSQL): a core at 100 %
# is the limit.
#   gnuplot -e "prefix='P'; peers='a b'; out='OUT.svg'; title='...'" bench/scripts/ramp.gp
set terminal svg size 1000,700 dynamic font "sans,11"
set output out
set datafile separator "\t"
file(p) = sprintf("%s-%s.tsv", prefix, p)
set multiplot layout 2,1 title title noenhanced
set size 1,0.62
set origin 0,0.36
set ylabel "requests/s"
set y2label "users (connections; grey steps)"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:550]
set grid
set key outside right top noenhanced
plot for [p in peers] file(p) using 1:3 skip 1 with linespoints pt 7 ps 0.4 lw 2 title p, \
     file(word(peers, 1)) using 1:2 skip 1 axes x1y2 with steps lc rgb "#888888" lw 1 notitle
set size 1,0.36
set origin 0,0
set xlabel "seconds"
set ylabel "CPU (% of one core)"
unset y2label
unset y2tics
set yrange [0:110]
set label 1 "solid: the server process; dotted: its core, shared with PostgreSQL (client: wrk on the other core)" at graph 0.01, graph 0.1 font ",9"
plot for [p in peers] file(p) using 1:6 skip 1 with lines lw 2 title p, \
     for [p in peers] file(p) using 1:7 skip 1 with lines lw 1 dt 3 notitle
unset multiplot
