#!/usr/bin/env bash
# The under-load check (issue 15): `make test` RUNS times in a row while BURNERS CPU-bound
# processes run beside it, as on a shared 2-core CI machine. Stops at the first failing run and
# keeps each run's output in .under-load/run-N.log.
#   usage: bash scripts/test_under_load.sh [RUNS=3] [BURNERS=2]
set -uo pipefail
runs=${1:-3}
burners=${2:-2}
cd "$(dirname "$0")/.."
mkdir -p .under-load
pids=()
for _ in $(seq "$burners"); do
    python3 -c "while True: pass" &
    pids+=($!)
done
trap 'kill "${pids[@]}" 2>/dev/null' EXIT
for n in $(seq "$runs"); do
    start=$(date +%s)
    if make test > ".under-load/run-$n.log" 2>&1; then
        echo "run $n of $runs: passed in $(( $(date +%s) - start )) s ($(tail -1 ".under-load/run-$n.log"))"
    else
        echo "run $n of $runs: FAILED after $(( $(date +%s) - start )) s; see .under-load/run-$n.log"
        grep -E "^(FAILED|ERROR) " ".under-load/run-$n.log" | head -20
        exit 1
    fi
done
echo "make test passed $runs times with $burners CPU-bound processes beside it"
