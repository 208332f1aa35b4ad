#!/usr/bin/env bash
# Times `jobforge titles import` of 2k, 20k and 200k generated titles into a built store, a
# baseline binary and a candidate alternating (3 runs each, under the same load), and prints the
# median wall time, CPU time (user+sys) and peak RSS of each, with the candidate/baseline ratios.
#
# usage: scripts/bench-titles-import.sh BASELINE_JOBFORGE CANDIDATE_JOBFORGE [COUNT...]
#   e.g. scripts/bench-titles-import.sh /tmp/jobforge-main .build/release/jobforge
# The titles are those of `jobforge-bench titles --write-csv` (.build/release/jobforge-bench).
set -euo pipefail
baseline=$1 candidate=$2
shift 2
counts=("${@:-2000 20000 200000}")
counts=(${counts[@]})
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$root/.build/release/jobforge-bench}
work=$(mktemp -d /tmp/jobforge-titles-import.XXXXXX)
trap 'rm -rf "$work"' EXIT

"$candidate" build --db "$work/built.sqlite" --data "$root/data" > /dev/null
for count in "${counts[@]}"; do
    "$bench" titles --count "$count" --write-csv "$work/titles-$count.csv" --data "$root/data" > /dev/null
done

run() {  # binary count -> "wall cpu rss_mb"
    cp "$work/built.sqlite" "$work/run.sqlite"
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$1" titles import "$work/titles-$2.csv" \
        --db "$work/run.sqlite" --data "$root/data" > /dev/null
    awk '{ printf "%.2f %.2f %.0f\n", $1, $2 + $3, $4 / 1024 }' "$work/time"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

printf "%8s  %-9s %8s %8s %8s\n" titles binary "wall s" "cpu s" "rss MB"
for count in "${counts[@]}"; do
    : > "$work/baseline.txt"; : > "$work/candidate.txt"
    for _ in 1 2 3; do
        run "$baseline" "$count" >> "$work/baseline.txt"
        run "$candidate" "$count" >> "$work/candidate.txt"
    done
    for which in baseline candidate; do
        read -r wall cpu rss <<< "$(for column in 1 2 3; do cut -d' ' -f$column "$work/$which.txt" | median; done | xargs)"
        printf "%8s  %-9s %8s %8s %8s\n" "$count" "$which" "$wall" "$cpu" "$rss"
        eval "${which}_wall=$wall ${which}_cpu=$cpu ${which}_rss=$rss"
    done
    awk -v bw="$baseline_wall" -v cw="$candidate_wall" -v bc="$baseline_cpu" -v cc="$candidate_cpu" \
        -v br="$baseline_rss" -v cr="$candidate_rss" -v n="$count" \
        'BEGIN { printf "%8s  %-9s %7.2fx %7.2fx %7.2fx\n", n, "ratio", cw / bw, cc / bc, cr / br }'
done
