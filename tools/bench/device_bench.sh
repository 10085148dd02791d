#!/usr/bin/env bash
# Runs `nla bench` and Hugging Face transformers side by side on the GPU machine's CPU (same shape, batch sizes,
# prompt and new-token counts, thread count). Prepared here by tools/bench/stage_device.sh; run there as
#   bash tools/bench/device_bench.sh SHAPE THREADS BATCHES PROMPT_LEN NEW_TOKENS
# Results: $OUT/nla-bench.json, $OUT/nla-bench-bf16.json (the opt-in bf16 mode), $OUT/hf-float32.json,
# $OUT/hf-bfloat16.json.
set -euo pipefail
shape=${1:-qwen2.5-0.5b}; threads=${2:-16}; batches=${3:-1,8,32}; prompt=${4:-64}; new=${5:-16}
stage=.device/bench
mkdir -p /tmp/jre && tar xzf $stage/jre.tar.gz -C /tmp/jre
java=/tmp/jre/jre/bin/java
cp="$stage/lib/*"
lscpu | grep -E 'Model name|^CPU\(s\)|Thread|NUMA node\(s\)' || true
# A fixed 256 MB young generation: left to itself ParallelGC grows it to gigabytes under the engine's short-lived
# activation arrays (peak RSS 2.8 GB vs 1.7 GB for a 1 GB model, same speed, measured on the 2-core box).
$java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx8g -Xmn256m -cp "$cp" \
  nla.cli.Main bench --shape "$shape" --threads "$threads" --batch "$batches" --prompt-len "$prompt" \
  --new-tokens "$new" --json 2>&1 >"$OUT/nla-bench.json" | grep -v 'incubator' || true
cat "$OUT/nla-bench.json"
$java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmx8g -Xmn256m -cp "$cp" \
  nla.cli.Main bench --bf16 --shape "$shape" --threads "$threads" --batch "$batches" --prompt-len "$prompt" \
  --new-tokens "$new" --json 2>&1 >"$OUT/nla-bench-bf16.json" | grep -v 'incubator' || true
cat "$OUT/nla-bench-bf16.json"
model="$HOME/.cache/nla/bench/$shape"
for dtype in float32 bfloat16; do
  python3 tools/bench/hf_bench.py --model "$model" --threads "$threads" --batch "$batches" \
    --prompt-len "$prompt" --new-tokens "$new" --dtype $dtype | tee "$OUT/hf-$dtype.json"
done
