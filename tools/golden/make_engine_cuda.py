#!/usr/bin/env python3
"""GPU parity fixtures: Hugging Face transformers in bf16 on CUDA (and in fp32 on CUDA, to measure how far bf16 moves
the outputs) for every committed engine model, on the inputs of the fp32 references (engine/<model>/reference.json).

Run on the GPU machine (torch 2.11, transformers 5.17), from the repository root:

    python3 tools/golden/make_engine_cuda.py --res src/test/resources --out $OUT/engine-cuda

then unpack into src/test/resources/golden/engine-cuda/ (one folder per model). Per model, reference.json holds, per
text: the greedy path of the bf16 model with its top-2 logit gaps, and the files
  bf16.text{i}.blocks.npy / fp32.text{i}.blocks.npy    [L, T, d] block outputs (hooks; no final norm)
  bf16.text{i}.logits.npy / fp32.text{i}.logits.npy    [T, S] logits at the fp32 reference's sampled ids
and the same for the input-embeddings case (embeds.*). The GPU suite (nla.backend.cuda.*GpuTest) bounds nla's
distance to the bf16 outputs by 1.5 times the bf16-to-fp32 distance recorded here.
"""

import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import assemble, save_npy, top2_gap, write_json  # noqa: E402
from make_engine import decoder_layers  # noqa: E402

import transformers  # noqa: E402
from transformers import AutoModelForCausalLM  # noqa: E402

MODELS = ["qwen2", "qwen2-tied", "llama3", "llama3-v4", "gemma3-text", "gemma3-text-v4", "gemma3-mm",
          "gemma3-mm-v4", "gemma3-text-softcap"]


def load(d, dtype, attn):
    kwargs = {"attn_implementation": attn} if attn else {}
    m = AutoModelForCausalLM.from_pretrained(d, dtype=dtype, **kwargs).to("cuda")
    m.eval()
    return m


def forward(model, ids=None, embeds=None):
    captured = []

    def hook(_m, _inp, out):
        captured.append((out[0] if isinstance(out, tuple) else out)[0].detach().float().cpu())

    handles = [layer.register_forward_hook(hook) for layer in decoder_layers(model)]
    try:
        with torch.no_grad():
            if ids is not None:
                out = model(input_ids=torch.tensor([ids], device="cuda"), use_cache=False)
            else:
                out = model(inputs_embeds=embeds[None], use_cache=False)
    finally:
        for h in handles:
            h.remove()
    return torch.stack(captured), out.logits[0].float().cpu()


def greedy(model, eos_ids, max_new, ids=None, embeds=None):
    """Greedy decoding by full recomputation in the model's dtype; the top-2 gap of every step."""
    out_ids, gaps, finish = [], [], "length"
    embed = model.get_input_embeddings()
    with torch.no_grad():
        for _ in range(max_new):
            if ids is not None:
                logits = model(input_ids=torch.tensor([ids + out_ids], device="cuda"), use_cache=False).logits[0, -1]
            else:
                extra = embed(torch.tensor([out_ids], device="cuda"))[0] if out_ids else embeds[:0]
                logits = model(inputs_embeds=torch.cat([embeds, extra])[None], use_cache=False).logits[0, -1]
            tok, gap = top2_gap(logits.float())
            out_ids.append(tok)
            gaps.append(gap)
            if tok in eos_ids:
                finish = "eos"
                break
    return out_ids, gaps, finish


def rel(a, b):
    return float(np.linalg.norm((a - b).ravel()) / np.linalg.norm(b.ravel()))


def run(name, res, work, out):
    fp32_ref = json.load(open(os.path.join(res, "golden/engine", name, "reference.json")))
    d = assemble(res, os.path.join("golden/models", name), os.path.join(work, name))
    attn = fp32_ref.get("attn_implementation") if name.endswith("softcap") else None
    models = {"bf16": load(d, torch.bfloat16, attn), "fp32": load(d, torch.float32, attn)}
    sample = fp32_ref["logit_sample_ids"]
    eos = fp32_ref["eos_token_ids"]
    e = os.path.join(out, name)
    ref = {"model": name, "transformers_version": transformers.__version__, "torch_version": torch.__version__,
           "gpu": torch.cuda.get_device_name(0), "attn_implementation": models["bf16"].config._attn_implementation,
           "logit_sample_ids": sample, "texts": []}
    distances = []
    for i, t in enumerate(fp32_ref["texts"]):
        entry = {"ids": t["ids"]}
        outs = {}
        for dt, m in models.items():
            blocks, logits = forward(m, ids=t["ids"])
            outs[dt] = (blocks.numpy(), logits[:, sample].numpy())
            entry[dt + "_blocks_file"] = save_npy(os.path.join(e, f"{dt}.text{i}.blocks.npy"), outs[dt][0])
            entry[dt + "_logits_file"] = save_npy(os.path.join(e, f"{dt}.text{i}.logits.npy"), outs[dt][1])
        max_new = t["greedy"]["max_new_tokens"]
        ids, gaps, finish = greedy(models["bf16"], eos, max_new, ids=t["ids"])
        entry["greedy"] = {"max_new_tokens": max_new, "output_ids": ids, "top2_gaps": gaps, "finish_reason": finish}
        entry["bf16_vs_fp32"] = {"blocks": [rel(outs["bf16"][0][k], outs["fp32"][0][k]) for k in
                                            range(outs["bf16"][0].shape[0])],
                                 "logits": rel(outs["bf16"][1], outs["fp32"][1])}
        distances.append(entry["bf16_vs_fp32"])
        ref["texts"].append(entry)

    eg = fp32_ref["embeds_generation"]
    vector = np.load(os.path.join(res, "golden/engine", name, eg["vector_file"]))
    entry = {"prompt_ids": eg["prompt_ids"], "replaced_row": eg["replaced_row"]}
    outs = {}
    for dt, m in models.items():
        with torch.no_grad():
            emb = m.get_input_embeddings()(torch.tensor([eg["prompt_ids"]], device="cuda"))[0].clone()
            emb[eg["replaced_row"]] = torch.tensor(vector, device="cuda").to(emb.dtype)
        blocks, logits = forward(m, embeds=emb)
        outs[dt] = (blocks.numpy(), logits[:, sample].numpy())
        entry[dt + "_blocks_file"] = save_npy(os.path.join(e, f"{dt}.embeds.blocks.npy"), outs[dt][0])
        entry[dt + "_logits_file"] = save_npy(os.path.join(e, f"{dt}.embeds.logits.npy"), outs[dt][1])
        if dt == "bf16":
            ids, gaps, finish = greedy(m, eos, eg["max_new_tokens"], embeds=emb)
            entry["greedy"] = {"max_new_tokens": eg["max_new_tokens"], "output_ids": ids, "top2_gaps": gaps,
                               "finish_reason": finish}
    entry["bf16_vs_fp32"] = {"blocks": [rel(outs["bf16"][0][k], outs["fp32"][0][k]) for k in
                                        range(outs["bf16"][0].shape[0])],
                             "logits": rel(outs["bf16"][1], outs["fp32"][1])}
    distances.append(entry["bf16_vs_fp32"])
    ref["embeds_generation"] = entry
    write_json(os.path.join(e, "reference.json"), ref)
    return {"max_block_distance": max(max(x["blocks"]) for x in distances),
            "max_logit_distance": max(x["logits"] for x in distances)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--res", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default="/tmp/nla-golden-cuda")
    a = ap.parse_args()
    summary = {"transformers_version": transformers.__version__, "torch_version": torch.__version__,
               "gpu": torch.cuda.get_device_name(0), "models": {}}
    for name in MODELS:
        summary["models"][name] = run(name, a.res, a.work, a.out)
        print(name, summary["models"][name], flush=True)
    write_json(os.path.join(a.out, "summary.json"), summary)


if __name__ == "__main__":
    main()
