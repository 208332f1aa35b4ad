#!/usr/bin/env bash
# Times `jobforge report --json --sheets 0` (the report's read and its LLM cost estimate),
# `jobforge impute --dry-run`, and the page with every title's sheet (`report --out FILE --no-cost
# --sheets 1000000`: the read, the sheets and the HTML) on stores of 285, 2k and 5k generated
# titles (issue 17), a baseline binary and a candidate alternating ($REPS runs each, 3 by default,
# under the same load), and prints the median wall time, CPU time (user+sys), peak RSS and (page)
# the file's size, with the candidate/baseline ratios. It checks that both binaries print the same
# cost figures, and the same page but for its time of generation.
#
# usage: scripts/bench-report-scale.sh BASELINE_JOBFORGE CANDIDATE_JOBFORGE [COUNT...]
#   e.g. scripts/bench-report-scale.sh /tmp/jobforge-main .build/release/jobforge 285 2000 5000
# The titles are those of `jobforge-bench titles --write-csv` (.build/release/jobforge-bench),
# or the CSV files of $TITLES_DIR (titles-COUNT.csv) when given; $STORES_DIR (store-COUNT.sqlite,
# titles already imported) skips the build and the import. $COMMANDS picks the commands
# (default: "report dry-run page").
set -euo pipefail
baseline=$1 candidate=$2
shift 2
counts=("${@:-285 2000 5000}")
counts=(${counts[@]})
root=$(cd "$(dirname "$0")/.." && pwd)
bench=${BENCH:-$root/.build/release/jobforge-bench}
work=$(mktemp -d /tmp/jobforge-report-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT

[ -n "${STORES_DIR:-}" ] || "$candidate" build --db "$work/built.sqlite" --data "$root/data" > /dev/null
for count in "${counts[@]}"; do
    if [ -n "${STORES_DIR:-}" ]; then
        cp "$STORES_DIR/store-$count.sqlite" "$work/store-$count.sqlite"
        continue
    fi
    if [ -n "${TITLES_DIR:-}" ]; then
        cp "$TITLES_DIR/titles-$count.csv" "$work/titles-$count.csv"
    else
        "$bench" titles --count "$count" --write-csv "$work/titles-$count.csv" --data "$root/data" > /dev/null
    fi
    cp "$work/built.sqlite" "$work/store-$count.sqlite"
    "$candidate" titles import "$work/titles-$count.csv" --db "$work/store-$count.sqlite" --data "$root/data" > /dev/null
done

run() {  # binary count command... -> "wall cpu rss_mb"
    local binary=$1 count=$2
    shift 2
    if [ "$1" = impute ]; then  # gigabytes of prompts: only the totals line is kept
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$binary" "$@" --db "$work/store-$count.sqlite" 2> /dev/null | tail -n 1 > "$work/out"
    else
        /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$binary" "$@" --db "$work/store-$count.sqlite" > "$work/out" 2> /dev/null
    fi
    local size=0
    if [ -f "$work/page.html" ]; then size=$(stat -c %s "$work/page.html"); fi
    awk -v size="$size" '{ printf "%.2f %.2f %.0f %.1f\n", $1, $2 + $3, $4 / 1024, size / 1e6 }' "$work/time"
}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
cost() {  # the report's cost figures, the dry run's last line, or the page but for its time
    if [ "$1" = page ]; then sed 's|<span data-generated>[^<]*</span>||' "$work/page.html" | md5sum; rm -f "$work/page.html"
    elif [ "$1" = report ]; then python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["cost"]; print(c["cells"], c["requests"], c["estimatedInputTokens"], c["estimatedOutputTokens"], c["estimatedCostUSD"])' "$work/out"
    else tail -1 "$work/out"; fi
}

printf "%-8s %8s  %-9s %8s %8s %8s %8s\n" command titles binary "wall s" "cpu s" "rss MB" "file MB"
for command in ${COMMANDS:-report dry-run page}; do
    case $command in
        report) arguments=(report --json --sheets 0) ;;
        dry-run) arguments=(impute --dry-run) ;;
        page) arguments=(report --no-cost --sheets 1000000 --out "$work/page.html") ;;
    esac
    for count in "${counts[@]}"; do
        : > "$work/baseline.txt"; : > "$work/candidate.txt"
        for _ in $(seq "${REPS:-3}"); do
            run "$baseline" "$count" "${arguments[@]}" >> "$work/baseline.txt"; cost "$command" > "$work/baseline.cost"
            run "$candidate" "$count" "${arguments[@]}" >> "$work/candidate.txt"; cost "$command" > "$work/candidate.cost"
        done
        cmp -s "$work/baseline.cost" "$work/candidate.cost" || { echo "$command output differs at $count titles:"; cat "$work/baseline.cost" "$work/candidate.cost"; exit 1; }
        for which in baseline candidate; do
            read -r wall cpu rss size <<< "$(for column in 1 2 3 4; do cut -d' ' -f$column "$work/$which.txt" | median; done | xargs)"
            printf "%-8s %8s  %-9s %8s %8s %8s %8s\n" "$command" "$count" "$which" "$wall" "$cpu" "$rss" "$size"
            eval "${which}_wall=$wall ${which}_cpu=$cpu ${which}_rss=$rss"
        done
        awk -v bw="$baseline_wall" -v cw="$candidate_wall" -v bc="$baseline_cpu" -v cc="$candidate_cpu" \
            -v br="$baseline_rss" -v cr="$candidate_rss" -v n="$count" -v c="$command" \
            'BEGIN { printf "%-8s %8s  %-9s %7.2fx %7.2fx %7.2fx\n", c, n, "ratio", cw / bw, cc / bc, cr / br }'
    done
done
