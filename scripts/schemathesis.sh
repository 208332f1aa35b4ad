#!/usr/bin/env bash
# schemathesis (PyPI, 4.x) drives `jobforge serve` from docs/openapi.json: every operation with
# generated parameters, valid and invalid; fails on any 500 or any response that does not conform
# to the document (status, media type, schema).
#
#   scripts/schemathesis.sh                      # the debug build, a store built from data/ (CI: JOBFORGE=.build/release/jobforge)
#   JOBFORGE=.build/release/jobforge JOBFORGE_STORE=store.sqlite EXAMPLES=50 scripts/schemathesis.sh
#
# Needs a jobforge built with the Server trait (`swift build --traits Server`) and
# `python3 -m pip install schemathesis`. The server binds a random free loopback port (--port 0).
set -euo pipefail
cd "$(dirname "$0")/.."

jobforge=${JOBFORGE:-.build/debug/jobforge}
examples=${EXAMPLES:-20}
seed=${SEED:-17}
work=$(mktemp -d /tmp/jobforge-schemathesis.XXXXXX)
pid=""
cleanup() {
  if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# Run through the interpreter pip installed it for: its console script may not be on PATH (~/.local/bin).
python3 -c "import schemathesis" 2>/dev/null || { echo "schemathesis is missing: python3 -m pip install schemathesis" >&2; exit 1; }
store=${JOBFORGE_STORE:-}
if [ -z "$store" ]; then
  store="$work/store.sqlite"
  "$jobforge" build --db "$store" --data data >/dev/null
fi

"$jobforge" serve --db "$store" --port 0 2> "$work/serve.log" &
pid=$!
port=""
for _ in $(seq 1 1200); do
  port=$(sed -n 's|.*read-only at http://127\.0\.0\.1:\([0-9]*\)/.*|\1|p' "$work/serve.log" | head -1)
  [ -n "$port" ] && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/serve.log" >&2; echo "jobforge serve did not start" >&2; exit 1; }
  sleep 0.1
done
[ -n "$port" ] || { echo "jobforge serve did not print its port in 120 s" >&2; exit 1; }

# Deterministic (a fixed seed), bounded (EXAMPLES per operation), no shrinking: a CI gate, not a hunt.
# Run from the scratch folder: schemathesis keeps its state (.schemathesis/) in the current one.
root=$(pwd)
cd "$work"
python3 -m schemathesis.cli run "$root/docs/openapi.json" --url "http://127.0.0.1:$port" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --max-examples "$examples" --seed "$seed" --no-shrink --workers 2 --request-timeout 60 \
  --generation-database none --no-color
