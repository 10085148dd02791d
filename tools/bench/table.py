"""Prints the README's performance tables from bench/results/ (nla and HF runs side by side).

    python3 tools/bench/table.py [TAG ...]      # the CPU table; e.g. perf0 final; default: every tag, in name order
    python3 tools/bench/table.py --gpu          # the GPU table from bench/results/gpu/ (tools/bench/gpu_bench.sh)
"""
import glob, json, os, re, sys

RESULTS = os.path.join(os.path.dirname(__file__), "../../bench/results")

def decode(d, batch, key="tokens_per_s"):
    return next((x.get(key, float("nan")) for x in d.get("decode", []) if x["batch"] == batch), float("nan"))


def percent(fraction):
    return "—" if fraction != fraction else f"{100 * fraction:.0f}%"


def gpu_table():
    """One row per nla run in bench/results/gpu/, named nla-gpu-SHAPE-YYYYMMDD[-HHMM][-VARIANT]-CARD.json, beside the
    transformers run of the same shape, date, time and card (hf-gpu-SHAPE-YYYYMMDD[-HHMM]-CARD.json): same GPU, same
    session."""
    name = re.compile(r"nla-gpu-(?P<shape>.+?)-(?P<date>\d{8})(?:-(?P<time>\d{4}))?(?:-(?P<variant>[a-z][a-z-]*?))?"
                      r"-(?P<card>[a-z0-9]+)\.json$")
    # Beside batch 1, its fraction of the HBM roofline (issue 13's batch-1 target); last, how much of batch 1's and
    # batch 128's decode time the GPU was busy (the rest is the host's work between steps), where measured.
    print("| date | card | shape | run | prefill tok/s (nla / HF) | batch 1 | of the roofline | batch 32 | batch 128 |"
          " batch 256 | GPU busy, batch 1 / 128 | peak GPU GiB |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    found = [(name.match(os.path.basename(p)), p) for p in glob.glob(os.path.join(RESULTS, "gpu", "nla-gpu-*.json"))]
    # Oldest first; the first runs were named without a time of day.
    for m, path in sorted((x for x in found if x[0]), key=lambda x: (x[0]["date"], x[0]["time"] or "", x[1])):
        stamp = m["date"] + (f"-{m['time']}" if m["time"] else "")
        hf_path = os.path.join(RESULTS, "gpu", f"hf-gpu-{m['shape']}-{stamp}-{m['card']}.json")
        nla = json.load(open(path))
        hf = json.load(open(hf_path)) if os.path.exists(hf_path) else None

        def cell(n, h, digits=1):
            if n != n:  # not measured in this run
                return "—"
            return f"{n:,.{digits}f} / {h:,.{digits}f} ({n / h:.2f}×)" if h else f"{n:,.{digits}f}"

        cells = [cell(nla["prefill_tokens_per_s"], hf and hf["prefill_tokens_per_s"], 0)]
        for b in (1, 32, 128, 256):
            cells.append(cell(decode(nla, b), hf and decode(hf, b)))
            if b == 1:
                cells.append(percent(decode(nla, 1, "roofline_fraction")))
        busy = [decode(nla, b, "gpu_busy_fraction") for b in (1, 128)]
        cells.append("—" if all(x != x for x in busy) else " / ".join(percent(x) for x in busy))
        peak = max((x.get("peak_gpu_bytes", 0) for x in nla.get("decode", [])), default=0)
        cells.append(f"{peak / 2**30:.1f}" if peak else "—")
        date = f"{m['date'][:4]}-{m['date'][4:6]}-{m['date'][6:]}"
        run = " ".join(x for x in (m["time"], m["variant"]) if x) or "-"
        print(f"| {date} | {m['card'].upper()} | {m['shape']} | {run} | " + " | ".join(cells) + " |")


if sys.argv[1:] == ["--gpu"]:
    gpu_table()
    sys.exit(0)

runs = {}
for path in sorted(glob.glob(os.path.join(RESULTS, "*.json"))):
    m = re.match(r"(\d{4}-\d\d-\d\d)_(.+?)_(nla-bf16|nla|hf-float32|hf-bfloat16)_(\w+)\.json", os.path.basename(path))
    if m:
        runs.setdefault((m.group(1), m.group(2), m.group(4)), {})[m.group(3)] = json.load(open(path))
tags = sys.argv[1:]
print("| date | shape | run | engine | prefill tok/s | decode b=1 | b=8 | b=32 | b=1 vs HF fp32 | b=32 vs HF fp32 |")
print("|---|---|---|---|---|---|---|---|---|---|")
for (date, shape, tag), engines in runs.items():
    if tags and tag not in tags:
        continue
    ref = engines.get("hf-float32")
    for name, label in (("nla", "nla (bf16 weights, fp32 math)"), ("nla-bf16", "nla --bf16 (bf16 activations, AMX)"),
                        ("hf-float32", "HF fp32"), ("hf-bfloat16", "HF bf16")):
        d = engines.get(name)
        if d is None:
            continue
        ratio1 = f"{decode(d, 1) / decode(ref, 1):.2f}×" if ref else ""
        ratio32 = f"{decode(d, 32) / decode(ref, 32):.2f}×" if ref else ""
        print(f"| {date} | {shape} | {tag} | {label} | {d['prefill_tokens_per_s']:.0f} | {decode(d, 1):.1f} | "
              f"{decode(d, 8):.1f} | {decode(d, 32):.1f} | {ratio1} | {ratio32} |")
