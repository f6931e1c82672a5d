# Ramp-up timeline (like the Locust/Taurus charts): requests/s and failures/s over time per peer, users on the
# right axis.   gnuplot -e "prefix='P'; peers='a b'; out='OUT.svg'; title='...'" bench/scripts/ramp.gp
set terminal svg size 1000,520 dynamic font "sans,11"
set output out
set title title
set xlabel "seconds"
set ylabel "requests/s"
set y2label "users"
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
set grid
set key outside right top
set datafile separator "\t"
file(p) = sprintf("%s-%s.tsv", prefix, p)
plot for [p in peers] file(p) using 1:3 with lines linewidth 2 title p." req/s", \
     for [p in peers] file(p) using 1:4 with lines dashtype 2 title p." failures/s", \
     file(word(peers, 1)) using 1:2 axes x1y2 with steps linecolor rgb "#888888" title "users"
