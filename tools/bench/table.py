"""Prints the README's performance table from bench/results/*.json (nla and HF runs of one tag side by side).

    python3 tools/bench/table.py [TAG ...]      # e.g. perf0 final; default: every tag found, in name order
"""
import glob, json, os, re, sys

def decode(d, batch):
    return next((x["tokens_per_s"] for x in d.get("decode", []) if x["batch"] == batch), float("nan"))

runs = {}
for path in sorted(glob.glob(os.path.join(os.path.dirname(__file__), "../../bench/results/*.json"))):
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
