#!/usr/bin/env bash
# The README's GPU throughput table in one command on a GPU machine: tools/bench/gpu_bench.sh for the Qwen2.5-7B,
# Gemma-3-12B and Gemma-3-27B shapes (nla and transformers in the same call, on the same random model), one stamp for
# the three, then their rows of `python3 tools/bench/table.py --gpu`. The results go to bench/results/gpu/ (and are
# copied to $OUT when that is set). Staged by tools/gpu/stage.sh; run on the GPU machine as
#   bash tools/bench/gpu_table.sh
# Batch 256 of the 27B shape runs only on a card of more than 100 GiB (an H200): its keys and values for 256
# sequences of 275 tokens (33 GiB) beside its 50 GiB of weights exceed an 80 GB card.
set -uo pipefail
export NLA_STAMP=${NLA_STAMP:-$(date -u +%Y%m%d-%H%M)}
copy_to=${OUT:-}
card_mib=$(nvidia-smi --query-gpu=memory.total --format=csv,noheader,nounits | head -1)
batches_27b=1,32,128; [ "${card_mib:-0}" -gt 102400 ] && batches_27b=1,32,128,256
# The two shapes issue 13's targets name first, so that a call cut short has them.
for run in qwen2.5-7b:1,32,128,256 gemma3-27b:$batches_27b gemma3-12b:1,32,128,256; do
  echo "== ${run%%:*}, batches ${run#*:}"
  OUT= bash tools/bench/gpu_bench.sh "${run%%:*}" "${run#*:}" 125 150 2>&1 | tail -6
  # Each shape's results as soon as they are written, so that a call cut short keeps the shapes done.
  [ -n "$copy_to" ] && cp bench/results/gpu/*-"${run%%:*}"-"$NLA_STAMP"-*.json "$copy_to"/
done
python3 tools/bench/table.py --gpu | grep -E "^\| (date|---)|\| ${NLA_STAMP#*-} \|"
