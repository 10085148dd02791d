#!/usr/bin/env bash
# One device call that does what a GPU lease is for: the parity suite (tools/gpu/parity.sh), the kernel tests under
# compute-sanitizer (tools/gpu/sanitize.sh) and the throughput comparison with transformers on the same GPU
# (tools/bench/gpu_bench.sh, then nla alone with the one-key attention), each under its own time limit, the short
# results last. Staged by tools/gpu/stage.sh (tools/gpu/aside.sh keeps the tree that travels under 64 MiB); run there
# as  bash tools/gpu/session.sh [SHAPE] [BATCHES]. The README's table for the three shapes is a call of its own:
# bash tools/bench/gpu_table.sh.
set -uo pipefail
# One stamp for every benchmark of this call, so each nla variant pairs with the transformers run.
export NLA_STAMP=${NLA_STAMP:-$(date -u +%Y%m%d-%H%M)}
shape=${1:-qwen2.5-7b}; batches=${2:-1,32,128}
timeout 170 bash tools/gpu/parity.sh 2>&1 | tee "$OUT/parity.log" | tail -45
echo "== compute-sanitizer"
timeout 110 bash tools/gpu/sanitize.sh >"$OUT/sanitize.log" 2>&1
echo "sanitize: exit $?"
grep -E "ERROR SUMMARY|RACECHECK SUMMARY|Race reported" "$OUT/sanitize.log" | head -8
echo "== bench $shape"
timeout 170 bash tools/bench/gpu_bench.sh "$shape" "$batches" 125 150 2>&1 | tee "$OUT/bench.log" | tail -14
# The variants, nla only, each paired with the run above by the stamp.
for variant in one-key:-Dnla.cuda.eightKeyAttention=false; do
  echo "== nla with ${variant#*:}"
  NLA_JAVA_OPTS=${variant#*:} NLA_TAG=${variant%%:*} timeout 90 \
    bash tools/bench/gpu_bench.sh "$shape" "$batches" 125 150 --nla-only 2>&1 | tee "$OUT/bench-${variant%%:*}.log" \
    | grep -E '^decode|^prefill'
done
