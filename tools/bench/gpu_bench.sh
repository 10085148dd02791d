#!/usr/bin/env bash
# `nla bench --device cuda` and Hugging Face transformers (bf16, same GPU, same random model, prompt, batch sizes
# and new tokens) side by side, then a short table. Staged by tools/gpu/stage.sh; run on the GPU machine as
#   bash tools/bench/gpu_bench.sh SHAPE BATCHES PROMPT_LEN NEW_TOKENS [--nla-only]
# NLA_JAVA_OPTS are passed to nla's JVM (e.g. -Dnla.cuda.graphs=false); NLA_TAG names such a variant's result file.
# Results: nla-gpu-SHAPE-YYYYMMDD-HHMM[-TAG]-CARD.json and hf-gpu-SHAPE-YYYYMMDD-HHMM-CARD.json in $OUT (in
# bench/results/gpu/ when OUT is unset), the names `python3 tools/bench/table.py --gpu` reads.
set -uo pipefail
shape=${1:-qwen2.5-7b}; batches=${2:-1,32,128}; prompt=${3:-125}; new=${4:-150}; only=${5:-}
stage=.device/gpu
out=${OUT:-bench/results/gpu}; mkdir -p "$out"
card=$(nvidia-smi --query-gpu=name --format=csv,noheader | head -1 | grep -o -i -E 'h100|h200|a100' | head -1 | tr 'A-Z' 'a-z')
stamp=${NLA_STAMP:-$(date -u +%Y%m%d-%H%M)}
nla_json="$out/nla-gpu-$shape-$stamp${NLA_TAG:+-$NLA_TAG}-${card:-gpu}.json"
hf_json="$out/hf-gpu-$shape-$stamp-${card:-gpu}.json"
[ -x /tmp/nla-jre/jre/bin/java ] || { mkdir -p /tmp/nla-jre && tar xJf $stage/jre.tar.xz -C /tmp/nla-jre; }
java=/tmp/nla-jre/jre/bin/java
bash tools/bench/room_for.sh "$shape"
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
$java ${NLA_JAVA_OPTS:-} --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx32g -cp "$stage/lib/*" \
  nla.cli.Main --device cuda bench --shape "$shape" --batch "$batches" --prompt-len "$prompt" --new-tokens "$new" \
  --json 2> >(grep --line-buffered -v incubator >&2) >"$nla_json"
if [ "$only" = "--nla-only" ]; then
  python3 - "$nla_json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
print(f"prefill: {d['prefill_tokens_per_s']:.0f} tok/s")
for x in d["decode"]:
    busy = f", GPU busy {100 * x['gpu_busy_fraction']:.0f}%" if "gpu_busy_fraction" in x else ""
    print(f"decode batch {x['batch']}: {x['tokens_per_s']:.1f} tok/s{busy}")
PY
  exit 0
fi
python3 tools/bench/hf_bench.py --model "${XDG_CACHE_HOME:-$HOME/.cache}/nla/bench/$shape" --device cuda --dtype bfloat16 \
  --batch "$batches" --prompt-len "$prompt" --new-tokens "$new" >"$hf_json"
python3 - "$nla_json" "$hf_json" <<'PY'
import json, sys
nla, hf = (json.load(open(p)) for p in sys.argv[1:3])
print(f"{'':14}{'nla':>12}{'transformers':>14}{'ratio':>8}{'nla roofline':>14}{'nla GPU GiB':>13}{'GPU busy':>10}")
print(f"{'prefill tok/s':14}{nla['prefill_tokens_per_s']:12.0f}{hf['prefill_tokens_per_s']:14.0f}"
      f"{nla['prefill_tokens_per_s'] / hf['prefill_tokens_per_s']:8.2f}")
for a, b in zip(nla["decode"], hf["decode"]):
    roof = f"{100 * a['roofline_fraction']:.0f}%" if "roofline_fraction" in a else "-"
    gib = f"{a['peak_gpu_bytes'] / 2**30:.1f}" if "peak_gpu_bytes" in a else "-"
    busy = f"{100 * a['gpu_busy_fraction']:.0f}%" if "gpu_busy_fraction" in a else "-"
    print(f"{'batch ' + str(a['batch']):14}{a['tokens_per_s']:12.1f}{b['tokens_per_s']:14.1f}"
          f"{a['tokens_per_s'] / b['tokens_per_s']:8.2f}{roof:>14}{gib:>13}{busy:>10}")
PY
