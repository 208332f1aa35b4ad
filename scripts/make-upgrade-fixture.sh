#!/usr/bin/env bash
# Remakes the upgrade fixture: a small store written by a released jobforge binary, with rows in
# every table, and what that binary printed for a few `show` / `explain` commands on it.
#
#   scripts/make-upgrade-fixture.sh [JOBFORGE_BINARY]
#
# JOBFORGE_BINARY: the release's binary (default /work/baseline/.build/release/jobforge, a release
# build of commit 4549848). Writes Tests/Fixtures/store-$COMMIT.sqlite and
# Tests/Fixtures/store-$COMMIT.expected.txt (COMMIT=4549848 unless set). The test
# (Tests/JobForgeCLITests/StoreUpgradeTests.swift) only reads them; it never runs this script.
#
# Everything runs against loopback fakes (scripts/fixture-fakes/, 127.0.0.1 only):
#   1. a trimmed copy of data/ (scripts/fixture-trim-data.py: a few unit groups, rows removed only);
#   2. build; titles import of a small architecture; onet import;
#   3. onet fetch (O*NET Web Services fake: ratings, a 422 "no data", cached responses);
#   4. impute (OpenAI-compatible fake: answers, one invalid cell) for two titles;
#   5. suggest-noc --apply (same fake: suggestions, one refusal; resolved titles override LLM values);
#   6. tbs scrape + tbs refresh (canada.ca fake serving the captured TBS pages, rows removed);
#   7. one OaSIS rating changed, build again (override events, a second authoritative load);
#   8. VACUUM, then a check that every table has rows.
set -euo pipefail

REPO=$(cd "$(dirname "$0")/.." && pwd)
J=${1:-/work/baseline/.build/release/jobforge}
COMMIT=${COMMIT:-4549848}
FIXTURE=$REPO/Tests/Fixtures/store-$COMMIT.sqlite
EXPECTED=$REPO/Tests/Fixtures/store-$COMMIT.expected.txt
FAKES=$REPO/scripts/fixture-fakes

[ -x "$J" ] || { echo "no jobforge binary at $J" >&2; exit 1; }
command -v sqlite3 >/dev/null || { echo "sqlite3 is needed (apt-get install sqlite3)" >&2; exit 1; }

WORK=$(mktemp -d /tmp/jobforge-fixture.XXXXXX)
PIDS=()
cleanup() {
    for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
    if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Loopback only: no proxy may see these requests, no real service key may be used.
unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY
export no_proxy=127.0.0.1,localhost NO_PROXY=127.0.0.1,localhost
unset OPENAI_API_KEY OPENAI_BASE_URL ONET_API_KEY TBS_BASE_URL JOBFORGE_DATA
DB=$WORK/store.sqlite
export JOBFORGE_DB=$DB
DATA=$WORK/data

echo "== trimmed data in $DATA"
python3 "$REPO/scripts/fixture-trim-data.py" "$REPO/data" "$DATA"

start_fake() { # name script args...
    local name=$1; shift
    python3 "$@" 2>>"$WORK/$name.log" &
    PIDS+=($!)
}
wait_port() { # port file
    for _ in $(seq 1 100); do [ -s "$1" ] && { cat "$1"; return; }; sleep 0.1; done
    echo "a fake did not start ($1)" >&2; exit 1
}
start_fake openai "$FAKES/openai_fake.py" "$WORK/openai.port" test
start_fake onet "$FAKES/onet_fake.py" "$WORK/onet.port" "$DATA/onet/db_29_3_text" fake-onet-key
# The captured TBS pages with rows removed (155 of 217 table rows, 12 of 54 definition groups): the
# pages whole would make the store alone 2.4 MB.
start_fake canada "$FAKES/canada_fake.py" "$WORK/canada.port" "$REPO/Tests/Fixtures/tbs" --table-rows 155 --definition-groups 12
OPENAI_PORT=$(wait_port "$WORK/openai.port")
ONET_PORT=$(wait_port "$WORK/onet.port")
CANADA_PORT=$(wait_port "$WORK/canada.port")
LLM_ENV=(OPENAI_BASE_URL="http://127.0.0.1:$OPENAI_PORT/v1" OPENAI_API_KEY=test)

echo "== build"
"$J" build --data "$DATA"

echo "== titles import"
printf '\xef\xbb\xbf' > "$WORK/architecture.csv"
cat >> "$WORK/architecture.csv" <<'CSV'
Job Title,NOC 2021,Job Family,Location
data scientist,21211,Research,Ottawa
Senior Data Scientist II,21211,Research,Gatineau
database administrator,21223,Information Technology,Ottawa
purchasing manager,,Finance,Toronto
Chief Happiness Officer,,People,Montréal
Quantum Widget Wrangler,99999,Research,Ottawa
CSV
"$J" titles import "$WORK/architecture.csv" --data "$DATA"

echo "== onet import (the release the build loaded: nothing changes) and onet fetch"
"$J" onet import "$DATA/onet/db_29_3_text" --crosswalk "$DATA/crosswalk/noc2021_onet26.csv"
ONET_API_KEY=fake-onet-key "$J" onet fetch --noc 00010 --base-url "http://127.0.0.1:$ONET_PORT/" --concurrency 1
ONET_API_KEY=fake-onet-key "$J" onet fetch --soc 15-2051.01 --base-url "http://127.0.0.1:$ONET_PORT/" --concurrency 1

echo "== impute"
env "${LLM_ENV[@]}" "$J" impute --titles JA-0002 "Scrum Master" --categories skills personal-attributes --concurrency 1

echo "== suggest-noc --apply"
env "${LLM_ENV[@]}" "$J" suggest-noc --apply --concurrency 1

echo "== tbs scrape, tbs refresh"
TBS_BASE_URL="http://127.0.0.1:$CANADA_PORT" "$J" tbs scrape --lang en --delay 0
TBS_BASE_URL="http://127.0.0.1:$CANADA_PORT" "$J" tbs refresh --lang en --delay 0 --depth 0

echo "== one OaSIS rating changed (21211.00 Writing 3 -> 4), build again (authoritative step only)"
python3 - "$DATA/oasis/skills_oasis_2023_v1.0.csv" <<'PY'
import sys
path = sys.argv[1]
data = open(path, "rb").read()
lines = data.split(b"\n")
header = lines[0].rstrip(b"\r").split(b",")
column = [h.decode("utf-8-sig").strip() for h in header].index("Writing")
for i, line in enumerate(lines):
    if line.startswith(b"21211.00,"):
        fields = line.split(b",")  # the rating rows hold no quoted commas
        assert fields[column] == b"3", fields[column]
        fields[column] = b"4"
        lines[i] = b",".join(fields)
open(path, "wb").write(b"\n".join(lines))
PY
"$J" build --data "$DATA" --step authoritative

echo "== what the release prints"
# Times and run ids are replaced by placeholders (the test does the same to the new binary's output):
# the restructuring may normalize timestamps; values, sources, candidates and overrides must stay.
normalize() {
    sed -E -e 's/[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:?[0-9]{2})?/<time>/g' \
           -e 's/[0-9]{8}T[0-9]{6}Z-[0-9a-f]+/<run>/g'
}
: > "$WORK/expected.txt"
while IFS= read -r line; do
    [ -z "$line" ] && continue
    read -r -a args <<<"$line"
    echo "\$ $line" >> "$WORK/expected.txt"
    "$J" "${args[@]}" </dev/null | normalize >> "$WORK/expected.txt"
done <<'COMMANDS'
show 21211 --category skills
show 21223 --category interests
show JA-0002 --category personal-attributes
show JA-0277 --category skills
explain 21211 F01b02
explain 21211.00 F01b02
explain JA-0282 F01b02
explain JA-0002 B01a02
explain JA-0277 F01b01
COMMANDS

echo "== vacuum and check"
sqlite3 "$DB" "PRAGMA wal_checkpoint(TRUNCATE); VACUUM;" >/dev/null
missing=0
printf '%-24s %s\n' table rows
for table in $(sqlite3 "$DB" "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"); do
    rows=$(sqlite3 "$DB" "SELECT COUNT(*) FROM \"$table\"")
    printf '%-24s %s\n' "$table" "$rows"
    [ "$rows" -gt 0 ] || missing=1
done
size=$(stat -c %s "$DB")
echo "size: $size bytes"
[ "$missing" -eq 0 ] || { echo "a table has no rows" >&2; exit 1; }
[ "$size" -lt 3000000 ] || { echo "the store is larger than 3 MB" >&2; exit 1; }

cp "$DB" "$FIXTURE"
cp "$WORK/expected.txt" "$EXPECTED"
echo "wrote $FIXTURE and $EXPECTED"
