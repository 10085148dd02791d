#!/usr/bin/env bash
# A short device call for a session with little device time left: the parity suite (tools/gpu/parity.sh), then the
# throughput comparison with transformers at the given batch sizes, each cut off by its own limit so the call
# returns within about five minutes. Staged by tools/gpu/stage.sh; run there as  bash tools/gpu/short.sh [BATCHES]
set -uo pipefail
# One stamp for every benchmark of this call, so each nla variant pairs with the transformers run.
export NLA_STAMP=${NLA_STAMP:-$(date -u +%Y%m%d-%H%M)}
batches=${1:-1,32,128}
timeout 170 bash tools/gpu/parity.sh > "$OUT/parity.log" 2>&1
grep -E "tests (successful|failed)|result:|make_nla_cuda|Traceback|Error" "$OUT/parity.log" | grep -v "✔" | head -12
grep -A24 "^Failures" "$OUT/parity.log" | head -40
grep -E "measured|ratio" "$OUT/parity.log" | head -12
echo "== bench qwen2.5-7b $batches"
timeout 150 bash tools/bench/gpu_bench.sh qwen2.5-7b "$batches" 125 150 2>&1 | tee "$OUT/bench.log" | tail -7
