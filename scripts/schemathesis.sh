#!/usr/bin/env bash
# Runs schemathesis against the live server's /openapi.json: generated requests for every
# documented operation must get no 5xx and answers that match the document.
#   scripts/schemathesis.sh PATH-TO-MORPHIC [examples per operation, default 40; the suite uses 100]
set -euo pipefail
cd "$(dirname "$0")/.."
morphic=$1
examples=${2:-40}
work=$(mktemp -d)
log="$work/server.log"
"$morphic" serve --port 0 --data-dir "$work/data" --workers 1 > "$work/out" 2> "$log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 100); do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/out" | grep -o '[0-9]*$' || true)
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "schemathesis: the server did not start" >&2; cat "$log" >&2; exit 1; }
# Every check of the server against its document, positive data acceptance included:
# where a rule cannot be a schema (a filter's grammar, a sweep's column names, `to` above
# `from`, a definition's totals against the server's limits), the document lists the 400
# or 422 that says so, and scripts/schemathesis.toml allows that refusal for that operation
# alone. Schema-violating values must be refused (negative_data_rejection), with a status
# the document lists. A debug build takes seconds over the list or CSV of a large
# generated sweep, hence the timeout.
schemathesis --config-file scripts/schemathesis.toml run "http://127.0.0.1:$port/openapi.json" --url "http://127.0.0.1:$port" \
    --checks all \
    --max-examples "$examples" --seed 1 --no-color --request-timeout 60
