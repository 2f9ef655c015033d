#!/usr/bin/env bash
# Shell: the shard pipelines of tap-cosmosdb side by side on one machine, without Meltano.
#
#   examples/shell/cosmosdb_shards.sh TAP_CONFIG TARGET_CONFIG STATE_DIR [SHARD_COUNT]
#
# Shard i runs `tap-cosmosdb --config TAP_CONFIG --config <shard i settings> --state
# STATE_DIR/state-shard-i-of-N.json | target-cosmosdb --config TARGET_CONFIG`; the last STATE
# the target printed replaces the shard's state only when the pipeline succeeded and printed one.
# Exits non-zero if any shard failed (its state is kept). See docs/scaling-out.md.
set -euo pipefail
tap_config=$1 target_config=$2 state_dir=$3 count=${4:-4}
mkdir -p "$state_dir"

run_shard() {
  local i=$1 name="shard-$1-of-$count"
  local state="$state_dir/state-$name.json" out="$state_dir/$name.out"
  printf '{"shard_count": %d, "shard_index": %d}\n' "$count" "$i" > "$state_dir/$name.json"
  local state_args=()
  [ -s "$state" ] && state_args=(--state "$state")
  if tap-cosmosdb --config "$tap_config" --config "$state_dir/$name.json" "${state_args[@]}" \
      2> "$state_dir/$name.tap.log" \
      | target-cosmosdb --config "$target_config" > "$out" 2> "$state_dir/$name.target.log"; then
    if [ -s "$out" ]; then tail -n 1 "$out" > "$state.tmp" && mv "$state.tmp" "$state"; fi
  else
    echo "$name failed; state kept; logs in $state_dir/$name.*.log" >&2
    return 1
  fi
}

pids=()
for ((i = 0; i < count; i++)); do
  run_shard "$i" &
  pids+=($!)
done
status=0
for pid in "${pids[@]}"; do wait "$pid" || status=1; done
exit $status
