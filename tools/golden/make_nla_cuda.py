#!/usr/bin/env python3
"""GPU parity fixtures for the tiny NLA pairs: Hugging Face transformers in bf16 on CUDA (and in fp32 on CUDA, to
measure how far bf16 moves the outputs), on the inputs of the fp32 references (golden/nla/<pair>/reference.json).

Run on the GPU machine (torch 2.11, transformers 5.17), from the repository root:

    python3 tools/golden/make_nla_cuda.py --res src/test/resources --out $OUT/nla-cuda

then unpack into src/test/resources/golden/nla-cuda/ (one folder per pair); tools/gpu/parity.sh does both when
that folder is absent. Per pair, reference.json holds:
  av.verbalizations[i].greedy / greedy_banned   the bf16 model's greedy path from the injected row i (plain, and
      with the reference's ban list biased by -1e9): output_ids, top2_gaps, finish_reason, text, explanation, and
      logit_max_abs_diff[s] = max over the vocabulary of |bf16 logit - fp32 logit| at step s (fp32 model, same
      prefix, bias not applied)
  ar.items[i]   bf16_vs_fp32 = ||pred_bf16 - pred_fp32|| / ||pred_fp32||, and the metrics mse_nrm, cos, fve_nrm of
      each prediction against the reference's gold vector (denominator: the reference's baseline vectors)
  ar.bf16_predictions_file / fp32_predictions_file   [n, d] value-head outputs (W in fp32 times the block-K output
      at the last token)
The GPU suite (nla.core.NlaGpuParityTest) bounds nla's distance to these bf16 outputs.
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
from make_nla import EXPLANATION_RE, baselines, ids_digest, metrics  # noqa: E402

import transformers  # noqa: E402
from safetensors.torch import load_file  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer  # noqa: E402

PAIRS = ["qwen2.5", "gemma3", "llama3"]
DTYPES = {"bf16": torch.bfloat16, "fp32": torch.float32}


def load(d, dtype):
    m = AutoModelForCausalLM.from_pretrained(d, dtype=dtype).to("cuda")
    m.eval()
    return m


def injected_embeds(model, prompt_ids, p, row):
    """The model's embedding of the prompt (embed scale included) with row p replaced, in the model's dtype."""
    with torch.no_grad():
        emb = model.get_input_embeddings()(torch.tensor([prompt_ids], device="cuda"))[0].clone()
        emb[p] = torch.tensor(row, device="cuda").to(emb.dtype)
    return emb


def next_logits(model, embeds, out_ids):
    extra = model.get_input_embeddings()(torch.tensor([out_ids], device="cuda"))[0] if out_ids else embeds[:0]
    logits = model(inputs_embeds=torch.cat([embeds, extra])[None], use_cache=False).logits[0, -1]
    return logits.float()


def greedy(models, embeds, eos_ids, max_new, banned=None):
    """The bf16 model's greedy path by full recomputation; at each step also the fp32 model's logits on the same
    prefix, for the largest bf16-vs-fp32 logit difference."""
    out_ids, gaps, drift, finish = [], [], [], "length"
    with torch.no_grad():
        for _ in range(max_new):
            low = next_logits(models["bf16"], embeds["bf16"], out_ids)
            high = next_logits(models["fp32"], embeds["fp32"], out_ids)
            assert low.shape == high.shape, (low.shape, high.shape)
            drift.append(float((low - high).abs().max()))
            if banned is not None:
                low[banned] += -1e9
            tok, gap = top2_gap(low)
            out_ids.append(tok)
            gaps.append(gap)
            if tok in eos_ids:
                finish = "eos"
                break
    return out_ids, gaps, drift, finish


def record(tok, out_ids, gaps, drift, finish):
    body = out_ids[:-1] if finish == "eos" else out_ids
    text = tok.decode(body, skip_special_tokens=False)
    m = EXPLANATION_RE.search(text)
    return {"output_ids": out_ids, "top2_gaps": gaps, "finish_reason": finish, "text": text,
            "explanation": m.group(1).strip() if m else None, "logit_max_abs_diff": drift}


def last_token_block_output(model, ids):
    """Output of the last decoder block (block K of an AR) at the last token, in fp32."""
    captured = []
    hook = decoder_layers(model)[-1].register_forward_hook(
        lambda _m, _i, o: captured.append((o[0] if isinstance(o, tuple) else o)[0]))
    try:
        with torch.no_grad():
            model(input_ids=torch.tensor([ids], device="cuda"), use_cache=False)
    finally:
        hook.remove()
    assert len(captured) == 1, len(captured)
    return captured[0][-1].float()


def rel(a, b):
    return float(torch.linalg.norm(a - b) / torch.linalg.norm(b))


def run(pair, res, work, out):
    src = os.path.join(res, "golden/nla", pair)
    fp32_ref = json.load(open(os.path.join(src, "reference.json")))
    av_ref, ar_ref, base_ref = fp32_ref["av"], fp32_ref["ar"], fp32_ref["baseline"]
    e = os.path.join(out, pair)
    ref = {"pair": pair, "transformers_version": transformers.__version__, "torch_version": torch.__version__,
           "gpu": torch.cuda.get_device_name(0), "dtype": "bfloat16 (fp32 on the same GPU for the distances)"}

    # ---- verbalize (AV) ----
    av_dir = assemble(res, f"golden/nla/{pair}-av", os.path.join(work, pair + "-av"))
    tok = AutoTokenizer.from_pretrained(av_dir)
    ban_chars = av_ref["ban_chars"]
    lo, hi = av_ref["banned_ids_vocab_range"]
    assert (lo, hi) == (0, len(tok)), (lo, hi, len(tok))
    token_texts = [tok.decode([i], skip_special_tokens=False) for i in range(len(tok))]
    banned = [i for i, t in enumerate(token_texts) if any(c in t for c in ban_chars)]
    assert len(banned) == av_ref["banned_ids_count"], (len(banned), av_ref["banned_ids_count"])
    assert ids_digest(banned) == av_ref["banned_ids_sha256"], "ban set differs from the fp32 reference's"
    models = {dt: load(av_dir, t) for dt, t in DTYPES.items()}
    ref["attn_implementation"] = models["bf16"].config._attn_implementation
    prompt_ids, p = av_ref["prompt_ids"], av_ref["injection_position"]
    assert prompt_ids[p] == av_ref["injection_token_id"], (prompt_ids[p], av_ref["injection_token_id"])
    rows = np.load(os.path.join(src, av_ref["injected_rows_file"]))
    assert rows.shape == (len(av_ref["verbalizations"]), fp32_ref["d_model"]), rows.shape
    eos_ids, max_new = av_ref["eos_token_ids"], av_ref["max_new_tokens"]
    banned_t = torch.tensor(banned, device="cuda")
    verbalizations = []
    for want in av_ref["verbalizations"]:
        i = want["row"]
        embeds = {dt: injected_embeds(m, prompt_ids, p, rows[i]) for dt, m in models.items()}
        with torch.no_grad():
            first = int(next_logits(models["fp32"], embeds["fp32"], []).argmax())
        # The fp32 model on CUDA must choose the committed fp32 (CPU) reference's first token: same inputs.
        if want["greedy"]["top2_gaps"][0] >= 0.01:
            assert first == want["greedy"]["output_ids"][0], (pair, i, first, want["greedy"]["output_ids"][0])
        plain = greedy(models, embeds, eos_ids, max_new)
        with_ban = greedy(models, embeds, eos_ids, max_new, banned=banned_t)
        verbalizations.append({"row": i, "greedy": record(tok, *plain), "greedy_banned": record(tok, *with_ban)})
    ref["av"] = {"dir": av_ref["dir"], "prompt_ids": prompt_ids, "injection_position": p,
                 "injected_rows_file": av_ref["injected_rows_file"], "eos_token_ids": eos_ids,
                 "max_new_tokens": max_new, "ban_chars": ban_chars, "banned_ids_count": len(banned),
                 "verbalizations": verbalizations}
    del models
    torch.cuda.empty_cache()

    # ---- reconstruct (AR) ----
    ar_dir = assemble(res, f"golden/nla/{pair}-ar", os.path.join(work, pair + "-ar"))
    models = {dt: load(ar_dir, t) for dt, t in DTYPES.items()}
    assert models["fp32"].config.get_text_config().num_hidden_layers == fp32_ref["layer_index"] + 1
    W = load_file(os.path.join(ar_dir, "value_head.safetensors"))["weight"].float().to("cuda")
    preds = {dt: torch.stack([W @ last_token_block_output(m, item["prompt_ids"]) for item in ar_ref["items"]]).cpu()
             for dt, m in models.items()}
    cpu_fp32 = torch.from_numpy(np.load(os.path.join(src, ar_ref["predictions_file"])))
    for i in range(len(ar_ref["items"])):
        # The fp32 run on CUDA must reproduce the committed fp32 (CPU) reference: same inputs, same weights.
        assert rel(preds["fp32"][i], cpu_fp32[i]) < 1e-3, (pair, i, rel(preds["fp32"][i], cpu_fp32[i]))
    gold = torch.from_numpy(np.load(os.path.join(src, ar_ref["gold_file"])))
    baseline_vectors = torch.from_numpy(np.load(os.path.join(src, base_ref["vectors_file"])))
    mse_s = ar_ref["mse_scale_resolved"]
    var_nrm, _ = baselines(baseline_vectors, mse_s)
    assert abs(var_nrm - base_ref["var_nrm"]) < 1e-6, (var_nrm, base_ref["var_nrm"])
    items = []
    for i, want in enumerate(ar_ref["items"]):
        item = {"explanation": want["explanation"], "prompt_ids": want["prompt_ids"],
                "bf16_vs_fp32": rel(preds["bf16"][i], preds["fp32"][i])}
        for dt in DTYPES:
            mse, cos = metrics(preds[dt][i], gold[i], mse_s)
            item[dt] = {"mse_nrm": mse, "cos": cos, "fve_nrm": 1.0 - mse / var_nrm}
        items.append(item)
    ref["ar"] = {"dir": ar_ref["dir"], "mse_scale_resolved": mse_s, "var_nrm": var_nrm,
                 "gold_file": ar_ref["gold_file"], "baseline_vectors_file": base_ref["vectors_file"],
                 "bf16_predictions_file": save_npy(os.path.join(e, "reconstruct.bf16.predictions.npy"),
                                                   preds["bf16"].numpy()),
                 "fp32_predictions_file": save_npy(os.path.join(e, "reconstruct.fp32.predictions.npy"),
                                                   preds["fp32"].numpy()),
                 "items": items}
    del models
    torch.cuda.empty_cache()
    write_json(os.path.join(e, "reference.json"), ref)
    paths = [v[k] for v in verbalizations for k in ("greedy", "greedy_banned")]
    return {"min_gap": min(min(x["top2_gaps"]) for x in paths),
            "max_logit_diff": max(max(x["logit_max_abs_diff"]) for x in paths),
            "same_path_as_fp32_cpu": [x["greedy"]["output_ids"] == w["greedy"]["output_ids"]
                                      for x, w in zip(verbalizations, av_ref["verbalizations"])],
            "max_ar_bf16_vs_fp32": max(x["bf16_vs_fp32"] for x in items),
            "max_fve_bf16_vs_fp32": max(abs(x["bf16"]["fve_nrm"] - x["fp32"]["fve_nrm"]) for x in items)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--res", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--work", default="/tmp/nla-golden-nla-cuda")
    a = ap.parse_args()
    assert torch.cuda.is_available(), "make_nla_cuda.py needs a CUDA GPU"
    summary = {"transformers_version": transformers.__version__, "torch_version": torch.__version__,
               "gpu": torch.cuda.get_device_name(0), "pairs": {}}
    for pair in PAIRS:
        summary["pairs"][pair] = run(pair, a.res, a.work, a.out)
        print(pair, summary["pairs"][pair], flush=True)
    write_json(os.path.join(a.out, "summary.json"), summary)


if __name__ == "__main__":
    main()
