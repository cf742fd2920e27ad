set terminal pngcairo size 900,560 font 'sans,10'
set output '/work/main/bench/results/20261203-131012-full/plots/hot.png'
set title 'hot: every client on the same 3 nights'
set xlabel 'clients'
set ylabel 'transactions per second'
set logscale x 2
set xtics (1, 2, 4, 8, 16)
set xrange [0.85:19]
set yrange [0:*]
set grid
set key below maxrows 5 width -2
plot '/work/main/bench/results/20261203-131012-full/plots/data/hot-off-ours.dat' using 1:2 with linespoints lw 2 pt 7 dt 1 lc rgb '#d62728' title 'booking (C), commit off','/work/main/bench/results/20261203-131012-full/plots/data/hot-off-lean.dat' using 1:2 with linespoints lw 2 pt 7 dt 1 lc rgb '#1f77b4' title 'lean PL/pgSQL, commit off','/work/main/bench/results/20261203-131012-full/plots/data/hot-off-feq.dat' using 1:2 with linespoints lw 2 pt 7 dt 1 lc rgb '#2ca02c' title 'feature-equal PL/pgSQL, commit off','/work/main/bench/results/20261203-131012-full/plots/data/hot-off-floor.dat' using 1:2 with linespoints lw 2 pt 7 dt 1 lc rgb '#7f7f7f' title 'floor (one SQL statement), commit off','/work/main/bench/results/20261203-131012-full/plots/data/hot-off-leannotify.dat' using 1:2 with linespoints lw 2 pt 7 dt 1 lc rgb '#ff7f0e' title 'lean + NOTIFY, commit off','/work/main/bench/results/20261203-131012-full/plots/data/hot-on-ours.dat' using 1:2 with linespoints lw 2 pt 7 dt 2 lc rgb '#d62728' title 'booking (C), commit on','/work/main/bench/results/20261203-131012-full/plots/data/hot-on-lean.dat' using 1:2 with linespoints lw 2 pt 7 dt 2 lc rgb '#1f77b4' title 'lean PL/pgSQL, commit on','/work/main/bench/results/20261203-131012-full/plots/data/hot-on-feq.dat' using 1:2 with linespoints lw 2 pt 7 dt 2 lc rgb '#2ca02c' title 'feature-equal PL/pgSQL, commit on','/work/main/bench/results/20261203-131012-full/plots/data/hot-on-floor.dat' using 1:2 with linespoints lw 2 pt 7 dt 2 lc rgb '#7f7f7f' title 'floor (one SQL statement), commit on','/work/main/bench/results/20261203-131012-full/plots/data/hot-on-leannotify.dat' using 1:2 with linespoints lw 2 pt 7 dt 2 lc rgb '#ff7f0e' title 'lean + NOTIFY, commit on'
