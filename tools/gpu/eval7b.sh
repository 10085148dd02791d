#!/usr/bin/env bash
# Issue 13's timing in one device call: `nla study eval` of N activations (default 1,000) on a random
# Qwen2.5-7B-shaped NLA pair, 150 new tokens per decode with EOS ignored, wall time with the model loads included;
# and issue 12's: the load of the 15 GB AV alone, from disk and from the page cache.
#   here:    tools/gpu/stage.sh                           (.device/gpu: the runtime and the jars)
#   device:  carry .device/gpu  ->  bash tools/gpu/eval7b.sh [N] [BATCH]
# BATCH (default 250) is the study's --batch: decodes run together on the AV, texts per AR pass.
# The pair is made there by tools/gpu/make_shaped_pair.py (26 GB on the machine's disk, in /tmp unless
# EVAL7B_WORK says where). Logs, the pair's pair.json and the run directory (decodes, summary, report) come back
# under $OUT; the table is printed last. EVAL7B_SHAPE=tiny EVAL7B_DEVICE=cpu runs the same steps on a CPU machine.
set -uo pipefail
n=${1:-1000}; batch=${2:-250}; new_tokens=150
shape=${EVAL7B_SHAPE:-qwen2.5-7b}; device=${EVAL7B_DEVICE:-cuda}
out=${OUT:-/tmp/eval7b-out}; work=${EVAL7B_WORK:-/tmp/eval7b-pair}
mkdir -p "$out"
stage=.device/gpu
[ -d $stage/lib ] || { echo "eval7b: carry .device/gpu (tools/gpu/stage.sh)" >&2; exit 2; }
# The runtime of this stage, unpacked afresh: a warm machine may keep another stage's in /tmp/nla-jre.
jre=$(mktemp -d /tmp/eval7b-jre.XXXXXX) && tar xJf $stage/jre.tar.xz -C "$jre" || exit 1
trap 'rm -rf "$jre"' EXIT
nla=("$jre/jre/bin/java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx32g
  -cp "$stage/lib/*" nla.cli.Main --device "$device")
now() { date +%s.%N; }
secs() { python3 -c "import sys; print(f'{float(sys.argv[2]) - float(sys.argv[1]):.1f}')" "$1" "$2"; }
# Drops the pair's files from the page cache (clean pages of files anyone may read; no root needed), so the next
# load reads the disk; fincore, where present, shows what stayed resident.
evict() {
  python3 - "$work" <<'PY'
import os, sys
for d, _, files in os.walk(sys.argv[1]):
    for f in files:
        fd = os.open(os.path.join(d, f), os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)
PY
  if command -v fincore >/dev/null; then
    fincore -b "$work"/av/*.safetensors "$work"/ar/*.safetensors |
      awk 'NR > 1 { r += $1 } END { print "eval7b: weight bytes still in the page cache: " r }' >&2
  fi
}
# One step: its command's output into $OUT/NAME.log, its wall time into the variable NAME_s, its exit code checked.
step() {
  local name=$1 limit=$2; shift 2
  local cmd="$*"
  echo "== $name: ${cmd#*nla.cli.Main }" >&2
  local t0; t0=$(now)
  timeout "$limit" "$@" > "$out/$name.log" 2>&1
  local rc=$?
  printf -v "${name}_s" '%s' "$(secs "$t0" "$(now)")"
  grep -v incubator "$out/$name.log" | tail -4 >&2
  local why="see $name.log"; [ $rc = 124 ] && why="cut off at $limit s"
  [ $rc = 0 ] || { echo "eval7b: $name failed (exit $rc; $why)" >&2; exit 1; }
}

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null || true
df -hT "$(dirname "$work")" | tail -1  # tmpfs would keep the "from disk" loads in memory
step make_pair 150 python3 tools/gpu/make_shaped_pair.py --shape "$shape" --out "$work" --activations "$n"
cp "$work/pair.json" "$out/"
# The AV alone: loaded (weights read from disk and checked for NaN/Inf, copied to the GPU), one token, exit.
bos=151643
evict
step load_cold 90 "${nla[@]}" generate --model "$work/av" --token-ids $bos --max-new-tokens 1 --json
step load_warm 45 "${nla[@]}" generate --model "$work/av" --token-ids $bos --max-new-tokens 1 --json
# The same command on a tiny model: what of the above is not the 15 GB (JVM start, tokenizer, one token).
python3 tools/gpu/make_shaped_pair.py --shape tiny --out "$work-tiny" --activations 1 > "$out/make_tiny.log" 2>&1 ||
  { echo "eval7b: the tiny pair failed (make_tiny.log)" >&2; exit 1; }
step load_tiny 30 "${nla[@]}" generate --model "$work-tiny/av" --token-ids $bos --max-new-tokens 1 --json
# The eval from a cold page cache: both checkpoints read from disk, as on a first run.
evict
# The run folder stays on the machine (its thousands of lines would crowd $OUT); its manifest and summary come back.
run="$work-run"; rm -rf "$run"
step eval 240 "${nla[@]}" study eval --av "$work/av" --ar "$work/ar" --activations "$work/activations.npy" \
  --max-new-tokens $new_tokens --ignore-eos --batch "$batch" --out "$run"
cp "$run/manifest.json" "$out/run-manifest.json"; cp "$run/eval/summary.json" "$out/run-summary.json"

{
python3 - "$out" "$n" "$new_tokens" "$batch" \
  "$make_pair_s" "$load_cold_s" "$load_warm_s" "$load_tiny_s" "$eval_s" <<'PY'
import datetime, json, re, sys
out, n, new, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
make, cold, warm, tiny, ev = (float(x) for x in sys.argv[5:10])
pair = json.load(open(f"{out}/pair.json"))
summary = json.load(open(f"{out}/run-summary.json"))
sessions = json.load(open(f"{out}/run-manifest.json"))["sessions"]


def instant(text):  # Java's Instant.toString, read by any Python 3
    return datetime.datetime.fromisoformat(re.sub(r"(\.\d{1,6})\d*", r"\1", text).replace("Z", "+00:00"))


# The study's session opens once both models are loaded and closes when the summary is written.
work = (instant(sessions[-1]["ended"]) - instant(sessions[-1]["started"])).total_seconds()
av_gb, ar_gb = pair["av"]["bytes"] / 1e9, pair["ar"]["bytes"] / 1e9
print(f"\n{pair['shape']} pair, layer {pair['layer']}: AV {av_gb:.2f} GB, AR {ar_gb:.2f} GB; "
      f"device: {sessions[-1]['device']}")
print(f"| step | wall s |\n|---|---|")
print(f"| make the pair (drawn on {pair['device']}, written, fsync'd) | {make:.1f} |")
print(f"| nla generate, one token, on the AV ({av_gb:.2f} GB) read from disk: JVM start to exit | {cold:.1f} |")
print(f"| the same, the AV in the page cache | {warm:.1f} |")
print(f"| the same on a tiny model (JVM start, tokenizer, one token) | {tiny:.1f} |")
print(f"| so, the AV's load alone (the difference): from disk / from the page cache "
      f"| {cold - tiny:.1f} / {warm - tiny:.1f} |")
print(f"| study eval, {n} activations x {new} tokens (EOS ignored), batch {batch}, both loads from disk "
      f"| {ev:.1f} |")
print(f"| of which JVM start, both models loaded, report written | {ev - work:.1f} |")
print(f"| of which decoding, reconstructing, scoring | {work:.1f} |")
print(f"\neval: {summary['n']} items, {n * new / work:,.0f} generated tokens/s over decoding and reconstructing; "
      f"target <= 90 s: {'met' if ev <= 90 else 'NOT met'}")
PY
} | tee "$out/eval7b.md"
