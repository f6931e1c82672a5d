# Bar chart of req/s by peer for each group, from summarize.py's TSV:
#   gnuplot -e "tsv='IN.tsv'; out='OUT.svg'; title='...'" bench/scripts/plot.gp
set terminal svg size 900,480 dynamic font "sans,11"
set output out
set title title
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set ylabel "requests/s (median of runs)"
set yrange [0:*]
set grid ytics
set key outside right top
set xtics rotate by -30 noenhanced
set datafile separator "\t"
plot tsv using 3:xtic(stringcolumn(1) . " " . stringcolumn(2)) notitle linecolor rgb "#3b6ea5"
