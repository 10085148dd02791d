#!/usr/bin/env bash
# Where a decode step's GPU time goes: `nla bench --device cuda` at small batches under Nsight Systems (or, when the
# machine has no nsys, Nsight Compute's per-kernel summary of a few steps), the per-kernel table last.
# Staged by tools/gpu/stage.sh; run on the GPU machine as  bash tools/gpu/profile.sh [SHAPE] [BATCHES] [NEW_TOKENS]
set -uo pipefail
shape=${1:-qwen2.5-7b}; batches=${2:-1}; new=${3:-60}
stage=.device/gpu
out=${OUT:-/tmp}
[ -x /tmp/nla-jre/jre/bin/java ] || { mkdir -p /tmp/nla-jre && tar xJf $stage/jre.tar.xz -C /tmp/nla-jre; }
# NLA_JAVA_OPTS (e.g. -Dnla.cuda.eightKeyAttention=false) profile a variant.
nla=(/tmp/nla-jre/jre/bin/java ${NLA_JAVA_OPTS:-} --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED
  -Xmx32g -cp "$stage/lib/*" nla.cli.Main --device cuda bench --shape "$shape" --batch "$batches" --prompt-len 125)
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
# The random model is created outside the profile.
bash tools/bench/room_for.sh "$shape"
"${nla[@]}" --new-tokens 2 >/dev/null 2>"$out/profile-setup.log" ||
  { echo "profile: the setup run failed:"; tail -3 "$out/profile-setup.log"; exit 1; }
nsys=$(command -v nsys || ls /usr/local/cuda*/bin/nsys /opt/nvidia/nsight-systems/*/bin/nsys 2>/dev/null | head -1)
if [ -n "$nsys" ]; then
  "$nsys" profile --trace=cuda --cuda-graph-trace=node --sample=none --cpuctx-switch=none -o "$out/decode" -f true "${nla[@]}" --new-tokens "$new" 2>&1 | tail -5
  "$nsys" stats --report cuda_gpu_kern_sum --report cuda_api_sum --format csv -o "$out/decode" "$out/decode.nsys-rep" \
    >/dev/null 2>&1
  python3 - "$out" <<'PY'
import csv, glob, sys
for path in sorted(glob.glob(sys.argv[1] + "/decode_*.csv")):
    rows = list(csv.DictReader(open(path)))
    print("==", path.rsplit("/", 1)[1])
    for r in rows[:18]:
        name = (r.get("Name") or "")[:60]
        print(f"{float(r.get('Time (%)', 0)):6.1f}% {int(float(r.get('Total Time (ns)', 0)))/1e6:9.1f} ms "
              f"{int(float(r.get('Instances', r.get('Num Calls', 0)))):8d} x {float(r.get('Avg (ns)', 0))/1e3:8.1f} us  {name}")
PY
else
  # Nsight Compute serialises kernels: each one's own time, without launch gaps. The profiler's range is one decode
  # step (-Dnla.cuda.profileSteps: the warm-up and prefill runs come first), with graphs off so each kernel is seen.
  step=${NCU_STEP:-50}
  echo "no nsys; ncu over decode step $step (graphs off, so each kernel is seen)"
  # Two metrics that one pass collects: a section of several passes replays each kernel, saving and restoring the
  # memory it may write between passes; on the 27B shape (60 GiB on the GPU) one step did not end in 8 minutes.
  ncu --profile-from-start off --clock-control none --cache-control none --print-summary per-kernel --csv \
    --metrics gpu__time_duration.sum,dram__throughput.avg.pct_of_peak_sustained_elapsed \
    /tmp/nla-jre/jre/bin/java -Dnla.cuda.graphs=false -Dnla.cuda.profileSteps="$step:1" "${nla[@]:1}" \
    --new-tokens "$new" > "$out/ncu.csv" 2>&1
  python3 - "$out/ncu.csv" <<'PY'
import csv, sys
lines = open(sys.argv[1]).read().splitlines()
start = next(i for i, l in enumerate(lines) if l.startswith('"Process ID"'))
rows = list(csv.DictReader(lines[start:]))
kern = {}
for r in rows:
    k = (r["Kernel Name"][:58], r["Grid Size"])
    e = kern.setdefault(k, {"n": int(r["Invocations"])})
    single_pass = {"gpu__time_duration.sum": "Duration",
                   "dram__throughput.avg.pct_of_peak_sustained_elapsed": "DRAM Throughput"}
    name = single_pass.get(r["Metric Name"], r["Metric Name"])
    if name in ("Duration", "DRAM Throughput"):
        e[name] = (float(r["Average"].replace(",", "")), r["Metric Unit"])
scale = {"ns": 1e-3, "us": 1, "usecond": 1, "nsecond": 1e-3, "ms": 1e3, "msecond": 1e3}
total = 0
out = []
for (name, grid), e in kern.items():
    d, unit = e.get("Duration", (0, "ns"))
    us = d * scale.get(unit, 1e-3)
    total += us * e["n"]
    out.append((us * e["n"], e["n"], us, e.get("DRAM Throughput", (0,))[0], name, grid))
for t, n, us, dram, name, grid in sorted(out, reverse=True):
    print(f"{t:9.1f} us {n:4d} x {us:7.2f} us  dram {dram:5.1f}%  {name} {grid}")
print(f"total {total:.1f} us over the {sum(o[1] for o in out)} kernels")
PY
fi
