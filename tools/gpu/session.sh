#!/usr/bin/env bash
# One device call that does what a GPU lease is for: the parity suite (tools/gpu/parity.sh) and the throughput
# comparison with transformers on the same GPU (tools/bench/gpu_bench.sh), each under its own time limit, the short
# results last. Staged by tools/gpu/stage.sh; run there as  bash tools/gpu/session.sh [SHAPE] [BATCHES]
set -uo pipefail
# One stamp for every benchmark of this call, so each nla variant pairs with the transformers run.
export NLA_STAMP=${NLA_STAMP:-$(date -u +%Y%m%d-%H%M)}
shape=${1:-qwen2.5-7b}; batches=${2:-1,32,128}
timeout 180 bash tools/gpu/parity.sh 2>&1 | tee "$OUT/parity.log" | tail -45
echo "== bench $shape"
timeout 200 bash tools/bench/gpu_bench.sh "$shape" "$batches" 125 150 2>&1 | tee "$OUT/bench.log" | tail -14
# The opt-in variants, nla only, each paired with the run above by the stamp.
for variant in one-key:-Dnla.cuda.eightKeyAttention=false; do
  echo "== nla with ${variant#*:}"
  NLA_JAVA_OPTS=${variant#*:} NLA_TAG=${variant%%:*} timeout 100 \
    bash tools/bench/gpu_bench.sh "$shape" "$batches" 125 150 --nla-only 2>&1 | tee "$OUT/bench-${variant%%:*}.log" \
    | grep -E '^decode|^prefill'
done
