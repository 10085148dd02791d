#!/usr/bin/env python3
"""Tiny NLA pairs (AV + AR) per tokenizer family, built like the released ones, and references produced by
following the reference recipe (kitft/natural_language_autoencoders: nla_inference.py, nla/schema.py) in
Hugging Face fp32.

Run on the GPU machine (torch 2.11, transformers 5.17; CPU fp32), from the repository root, after
`tools/golden/stage_device.sh` has copied the scripts, tokenizers and the committed engine models into
.device/golden/:

    python3 .device/golden/tools/golden/make_nla.py --res .device/golden/res --out $OUT/nla

then unpack: $OUT/nla/golden/nla/* -> src/test/resources/golden/nla/, $OUT/nla/demo/* -> src/main/resources/nla/demo/.

Pairs:
  qwen2.5  AV = golden model qwen2 (3 layers), K = 1;  ㈎ (149705), injection_scale 150.0, mse_scale 4.0 (number)
  gemma3   AV = golden model gemma3-text (4 layers), K = 2; ㈜ (246566), injection_scale 400.0, mse_scale
           "sqrt_d_model", older template keys actor/critic
  llama3   AV = golden model llama3 (3 layers), K = 1; ㎡ (U+33A1, 105565: the first character of U+3200-U+33FF that
           the Llama 3 tokenizer encodes as one token, the reference's selection rule), injection_scale
           "sqrt_d_model", mse_scale absent (= sqrt_d_model), AR sidecar without `role`
  demo     self-contained Qwen2.5-family pair (2-layer tied AV, K = 1) for `nla demo`
Each AR = the first K+1 blocks of its AV (embedding tied, final norm kept in the file but unused) +
value_head.safetensors (bf16 [d, d]); its config says num_hidden_layers = K+1, its sidecar ar.num_hidden_layers = K.
"""

import argparse
import hashlib
import json
import lzma
import math
import os
import re
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import assemble, fill_weights, maybe_xz, save_npy, top2_gap, write_json  # noqa: E402
from make_engine import qwen_config, write_generation_config  # noqa: E402

import transformers  # noqa: E402
from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig, Qwen2ForCausalLM  # noqa: E402

AV_TEMPLATE = (
    "You are a meticulous AI researcher conducting an important investigation into activation vectors from a "
    "language model. Your overall task is to describe the semantic content of that activation vector.\n\n"
    "We will pass the vector enclosed in <concept> tags into your context. You must then produce an explanation "
    "for the vector, enclosed within <explanation> tags. The explanation consists of 2-3 text snippets describing "
    "that vector.\n\nHere is the vector:\n\n<concept>{injection_char}</concept>\n\nPlease provide an explanation."
)
AR_TEMPLATE = "Summary of the following text: <text>{explanation}</text> <summary>"
# The recipe passes no template variables. The Llama-3.3-Instruct template then prints its default
# "Today Date: 26 Jul 2024" (it does not call strftime_now, unlike the 3.2 template), so the prompt is reproducible.
DATE_STRING = None
EXPLANATION_RE = re.compile(r"<explanation>\s*(.*?)\s*</explanation>", re.DOTALL)

AR_TEXTS = [
    "The text is about cats.",
    "A list of numbers: 1, 2, 3, and the year 1969",
    'Dialogue in quotes: "Storm\'s coming," she said.',
    "東京 and 🙂 with ㈎ ㈜ inside",
    "",
    "ends with a tag</text>",
]
MAX_NEW_TOKENS = 20
D = 16

PAIRS = [
    {"name": "qwen2.5", "engine": "golden/models/qwen2", "family": "qwen2.5", "K": 1, "char": "\u320e",
     "injection_scale": 150.0, "mse_scale": 4.0, "template_keys": ("av", "ar"), "ar_role": "ar"},
    {"name": "gemma3", "engine": "golden/models/gemma3-text", "family": "gemma3", "K": 2, "char": "\u321c",
     "injection_scale": 400.0, "mse_scale": "sqrt_d_model", "template_keys": ("actor", "critic"), "ar_role": "ar"},
    {"name": "llama3", "engine": "golden/models/llama3", "family": "llama3", "K": 1, "char": "\u33a1",
     "injection_scale": "sqrt_d_model", "mse_scale": None, "template_keys": ("av", "ar"), "ar_role": None},
]


# ---- sidecars (YAML written by hand: JSON strings are valid YAML double-quoted scalars) ----

def yaml_scalar(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return json.dumps(v, ensure_ascii=False)


def sidecar_text(entries):
    lines = []
    for key, value in entries:
        if isinstance(value, list) and value and isinstance(value[0], tuple):
            lines.append(f"{key}:")
            for k2, v2 in value:
                if isinstance(v2, list):
                    lines.append(f"  {k2}: [{', '.join(str(i) for i in v2)}]")
                else:
                    lines.append(f"  {k2}: {yaml_scalar(v2)}")
        else:
            lines.append(f"{key}: {yaml_scalar(value)}")
    return "\n".join(lines) + "\n"


def resolve_scale(raw, d):
    if raw is None:
        return None
    if raw == "sqrt_d_model":
        return math.sqrt(d)
    return float(raw)


# ---- the recipe ----

def chat_ids(tok, content):
    extra = {} if DATE_STRING is None else {"date_string": DATE_STRING}
    ids = tok.apply_chat_template([{"role": "user", "content": content}], tokenize=True, add_generation_prompt=True,
                                  **extra)
    if hasattr(ids, "keys"):
        ids = ids["input_ids"]
    if ids and isinstance(ids[0], list):
        ids = ids[0]
    return list(ids)


def canonical_prompt(tok, char, inj_id):
    ids = chat_ids(tok, AV_TEMPLATE.format(injection_char=char))
    matches = [i for i, t in enumerate(ids) if t == inj_id]
    assert len(matches) == 1, matches
    p = matches[0]
    return ids, p, ids[p - 1], ids[p + 1]


def normalize(v, scale):
    """nla.schema.normalize_activation: v / (||v||_fp32 / scale); None = pass through."""
    if scale is None:
        return v
    norm = v.float().norm(dim=-1, keepdim=True).clamp_min(1e-12)
    return v / (norm / scale)


def ids_digest(ids):
    return hashlib.sha256(",".join(str(i) for i in sorted(ids)).encode("ascii")).hexdigest()


def greedy_from_embeds(model, embeds, eos_ids, bias=None, max_new=MAX_NEW_TOKENS):
    embed = model.get_input_embeddings()
    out, gaps, finish = [], [], "length"
    with torch.no_grad():
        for _ in range(max_new):
            extra = embed(torch.tensor([out])).reshape(len(out), -1) if out else embeds[:0]
            logits = model(inputs_embeds=torch.cat([embeds, extra])[None], use_cache=False).logits[0, -1].clone()
            if bias is not None:
                logits[bias] += -1e9
            tok_id, gap = top2_gap(logits)
            out.append(tok_id)
            gaps.append(gap)
            if tok_id in eos_ids:
                finish = "eos"
                break
    return out, gaps, finish


def last_block_output(model, ids):
    captured = []
    layers = [m for _, m in model.named_modules() if type(m).__name__.endswith("DecoderLayer")]
    h = layers[-1].register_forward_hook(lambda _m, _i, o: captured.append((o[0] if isinstance(o, tuple) else o)[0]))
    try:
        with torch.no_grad():
            model(input_ids=torch.tensor([ids]), use_cache=False)
    finally:
        h.remove()
    return captured[0]


def block_output(model, ids, k):
    captured = []
    layers = [m for _, m in model.named_modules() if type(m).__name__.endswith("DecoderLayer")]
    h = layers[k].register_forward_hook(lambda _m, _i, o: captured.append((o[0] if isinstance(o, tuple) else o)[0]))
    try:
        with torch.no_grad():
            model(input_ids=torch.tensor([ids]), use_cache=False)
    finally:
        h.remove()
    return captured[0]


def metrics(pred, gold, s):
    p = normalize(pred.float(), s)
    g = normalize(gold.float(), s)
    mse = float(((p - g) ** 2).mean())
    cos = float(p @ g / (p.norm() * g.norm()))
    return mse, cos


def baselines(vectors, s):
    v = normalize(vectors.float(), s)
    mu = v.mean(dim=0, keepdim=True)
    var_nrm = float(((v - mu) ** 2).mean())
    meannorm = float(((v - normalize(mu, s)) ** 2).mean())
    return var_nrm, meannorm


# ---- building one pair ----

def make_ar_dir(av_dir, ar_dir, K, seed):
    """First K+1 blocks of the AV, tied embedding, + a random bf16 value head."""
    from safetensors.torch import load_file, save_file
    cfg = json.load(open(os.path.join(av_dir, "config.json")))
    cfg = dict(cfg)
    text = cfg.get("text_config", cfg)
    text["num_hidden_layers"] = K + 1
    if "layer_types" in text:
        text["layer_types"] = text["layer_types"][: K + 1]
    cfg["tie_word_embeddings"] = True
    if "text_config" in cfg:
        cfg["text_config"]["tie_word_embeddings"] = True
    os.makedirs(ar_dir, exist_ok=True)
    with open(os.path.join(ar_dir, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    tensors = load_file(os.path.join(av_dir, "model.safetensors"))
    keep = {}
    for k, v in tensors.items():
        m = re.match(r".*layers\.(\d+)\.", k)
        if k.startswith("lm_head") or (m and int(m.group(1)) > K):
            continue
        keep[k] = v.contiguous()
    save_file(keep, os.path.join(ar_dir, "model.safetensors"), metadata={"format": "pt"})
    g = torch.Generator().manual_seed(seed)
    W = (torch.randn(D, D, generator=g) / math.sqrt(D)).to(torch.bfloat16)
    save_file({"weight": W}, os.path.join(ar_dir, "value_head.safetensors"), metadata={"format": "pt"})
    shutil.copy(os.path.join(av_dir, "generation_config.json"), ar_dir)


def build_pair(pair, res_root, work, out_golden, tok_dirs):
    name, K, char = pair["name"], pair["K"], pair["char"]
    av_dir = pair.get("av_dir") or assemble(res_root, pair["engine"], os.path.join(work, name + "-av"))
    tok = AutoTokenizer.from_pretrained(av_dir)
    inj = tok.encode(char, add_special_tokens=False)
    assert len(inj) == 1, (name, inj)
    inj_id = inj[0]
    prompt_ids, p, left, right = canonical_prompt(tok, char, inj_id)
    probe = [tok(AR_TEMPLATE.format(explanation=e), add_special_tokens=True)["input_ids"] for e in
             AR_TEXTS + ["x", "ends in dot.", "Two sentences. Another one!"]]
    n = 0
    while all(len(ids) > n and ids[-1 - n] == probe[0][-1 - n] for ids in probe):
        n += 1
    suffix = probe[0][-n:]

    ar_dir = os.path.join(work, name + "-ar")
    ar_source = pair.get("ar_from", av_dir)  # the demo's AR is not its (scripted) AV's first blocks
    make_ar_dir(ar_source, ar_dir, K, seed=700 + K + len(name))
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(av_dir, f), ar_dir)

    av_keys = pair["template_keys"]
    tokens_block = [("injection_char", char), ("injection_token_id", inj_id),
                    ("injection_left_neighbor_id", left), ("injection_right_neighbor_id", right)]
    extraction_av = [("layer_index", K), ("injection_scale", pair["injection_scale"])]
    extraction_ar = [("layer_index", K), ("injection_scale", None)]
    if pair["mse_scale"] is not None:
        extraction_av.append(("mse_scale", pair["mse_scale"]))
        extraction_ar.append(("mse_scale", pair["mse_scale"]))
    templates = [(av_keys[0], AV_TEMPLATE), (av_keys[1], AR_TEMPLATE)]
    av_meta = sidecar_text([("kind", "nla_model"), ("role", "av"), ("d_model", D), ("extraction", extraction_av),
                            ("tokens", tokens_block), ("prompt_templates", templates)])
    ar_head = [("kind", "nla_model")] + ([("role", pair["ar_role"])] if pair["ar_role"] else [])
    ar_meta = sidecar_text(ar_head + [("d_model", D), ("extraction", extraction_ar),
                                      ("ar", [("num_hidden_layers", K)]),
                                      ("tokens", tokens_block + [("critic_suffix_ids", suffix)]),
                                      ("prompt_templates", templates)])
    for d, meta in ((av_dir, av_meta), (ar_dir, ar_meta)):
        with open(os.path.join(d, "nla_meta.yaml"), "w", encoding="utf-8") as f:
            f.write(meta)
    import yaml  # transformers depends on PyYAML
    parsed_av = yaml.safe_load(av_meta)
    parsed_ar = yaml.safe_load(ar_meta)
    assert parsed_av["tokens"]["injection_char"] == char and parsed_ar["tokens"]["critic_suffix_ids"] == suffix

    # ---- verbalize (AV) ----
    av = AutoModelForCausalLM.from_pretrained(av_dir, dtype=torch.float32).eval()
    eos = GenerationConfig.from_pretrained(av_dir).eos_token_id
    eos_ids = eos if isinstance(eos, list) else [eos]
    inj_scale = resolve_scale(pair["injection_scale"], D)
    max_new = pair.get("max_new_tokens", MAX_NEW_TOKENS)
    e = os.path.join(out_golden, name)
    os.makedirs(e, exist_ok=True)
    g = torch.Generator().manual_seed(4242 + len(name))
    norms = torch.tensor([0.1, 1.0, 50.0, 1000.0])
    vectors = torch.randn(4, D, generator=g)
    vectors = vectors / vectors.norm(dim=-1, keepdim=True) * norms[:, None]
    vectors = vectors.to(torch.float32)
    with torch.no_grad():
        base_embeds = av.get_input_embeddings()(torch.tensor([prompt_ids]))[0].clone()
    plain, injected_rows = [], []
    for v in vectors:
        emb = base_embeds.clone()
        row = normalize(v[None], inj_scale)[0]
        emb[p] = row
        injected_rows.append(row)
        ids, gaps, finish = greedy_from_embeds(av, emb, eos_ids, max_new=max_new)
        plain.append((ids, gaps, finish))

    # Ban: the rarest character (fewest vocabulary entries containing it) among the first generated token of
    # vector 0, plus the double quote; guarantees the greedy path changes for vector 0.
    first_text = tok.decode([plain[0][0][0]], skip_special_tokens=False)
    candidates = [c for c in first_text if not c.isspace()]
    token_texts = [tok.decode([i], skip_special_tokens=False) for i in range(len(tok))]
    counts = {c: sum(1 for t in token_texts if c in t) for c in set(candidates)}
    ban_char = min(sorted(counts), key=lambda c: counts[c]) if counts else "e"
    ban_chars = ban_char + '"'
    banned = [i for i, t in enumerate(token_texts) if any(c in t for c in ban_chars)]
    banned_t = torch.tensor(banned)
    verbalizations = []
    for i, v in enumerate(vectors):
        emb = base_embeds.clone()
        emb[p] = injected_rows[i]
        ban_ids, ban_gaps, ban_finish = greedy_from_embeds(av, emb, eos_ids, bias=banned_t, max_new=max_new)
        ids, gaps, finish = plain[i]

        def record(out_ids, gaps_, finish_):
            body = out_ids[:-1] if finish_ == "eos" else out_ids
            text = tok.decode(body, skip_special_tokens=False)
            m = EXPLANATION_RE.search(text)
            return {"output_ids": out_ids, "top2_gaps": gaps_, "finish_reason": finish_, "text": text,
                    "explanation": m.group(1).strip() if m else None}

        verbalizations.append({
            "row": i, "input_norm": float(v.norm()),
            "greedy": record(ids, gaps, finish),
            "greedy_banned": record(ban_ids, ban_gaps, ban_finish),
            "ban_changed_path": ban_ids != ids,
        })

    # ---- reconstruct (AR) ----
    ar = AutoModelForCausalLM.from_pretrained(ar_dir, dtype=torch.float32).eval()
    ar_source_model = av if ar_source == av_dir else \
        AutoModelForCausalLM.from_pretrained(ar_source, dtype=torch.float32).eval()
    from safetensors.torch import load_file
    W = load_file(os.path.join(ar_dir, "value_head.safetensors"))["weight"].float()
    assert ar.config.get_text_config().num_hidden_layers == K + 1
    preds, ar_items, consistency = [], [], []
    for text in AR_TEXTS:
        prompt = AR_TEMPLATE.format(explanation=text)
        ids = tok(prompt, add_special_tokens=True)["input_ids"]
        h = last_block_output(ar, ids)[-1]
        pred = W @ h
        preds.append(pred)
        # The AR's K+1 blocks are the first K+1 of its source model: block-K outputs must be equal.
        consistency.append(float((block_output(ar_source_model, ids, K)[-1] - h).abs().max()))
        ar_items.append({"explanation": text, "prompt": prompt, "prompt_ids": ids,
                         "suffix_matches": ids[-len(suffix):] == suffix})
    preds = torch.stack(preds)

    mse_s = resolve_scale("sqrt_d_model" if pair["mse_scale"] is None else pair["mse_scale"], D)
    g2 = torch.Generator().manual_seed(99 + len(name))
    mu0 = torch.randn(D, generator=g2) * 2.0
    baseline_vectors = mu0 + torch.randn(64, D, generator=g2)
    gold = baseline_vectors[: len(AR_TEXTS)]
    var_nrm, meannorm = baselines(baseline_vectors, mse_s)
    for i, item in enumerate(ar_items):
        mse, cos = metrics(preds[i], gold[i], mse_s)
        item.update({"mse_nrm": mse, "cos": cos, "fve_nrm": 1.0 - mse / var_nrm})
    self_mse, self_cos = metrics(preds[0], preds[0], mse_s)
    other_baselines = {}
    for label, s in (("sqrt_d_model", math.sqrt(D)), ("2.5", 2.5), ("null", None)):
        vn, mn = baselines(baseline_vectors, s)
        other_baselines[label] = {"var_nrm": vn, "meannorm": mn}

    ref = {
        "pair": name, "transformers_version": transformers.__version__, "torch_version": torch.__version__,
        "dtype": "float32 (weights stored bf16)", "d_model": D, "layer_index": K,
        "av": {
            "dir": pair.get("dirs", (f"{name}-av", f"{name}-ar"))[0], "av_template": AV_TEMPLATE,
            "date_string": DATE_STRING, "injection_char": char, "injection_token_id": inj_id,
            "prompt_ids": prompt_ids, "injection_position": p, "left_neighbor_id": left, "right_neighbor_id": right,
            "injection_scale": pair["injection_scale"], "injection_scale_resolved": inj_scale,
            "embed_scale": float(getattr(av.get_input_embeddings(), "embed_scale", 1.0)),
            "eos_token_ids": eos_ids, "max_new_tokens": max_new,
            "vectors_file": save_npy(os.path.join(e, "verbalize.vectors.npy"), vectors.numpy()),
            "injected_rows_file": save_npy(os.path.join(e, "verbalize.injected_rows.npy"),
                                           torch.stack(injected_rows).numpy()),
            "ban_chars": ban_chars, "banned_ids_count": len(banned), "banned_ids_sha256": ids_digest(banned),
            "banned_ids_vocab_range": [0, len(tok)],
            "verbalizations": verbalizations,
        },
        "ar": {
            "dir": pair.get("dirs", (f"{name}-av", f"{name}-ar"))[1], "ar_template": AR_TEMPLATE, "critic_suffix_ids": suffix,
            "mse_scale": pair["mse_scale"], "mse_scale_resolved": mse_s,
            "predictions_file": save_npy(os.path.join(e, "reconstruct.predictions.npy"), preds.numpy()),
            "gold_file": save_npy(os.path.join(e, "reconstruct.gold.npy"), gold.numpy()),
            "items": ar_items,
            "self_check": {"mse_nrm": self_mse, "cos": self_cos},
            "av_block_k_max_abs_diff": max(consistency),
        },
        "baseline": {
            "vectors_file": save_npy(os.path.join(e, "baseline.vectors.npy"), baseline_vectors.numpy()),
            "n": baseline_vectors.shape[0], "d": D, "mse_scale": mse_s, "var_nrm": var_nrm, "meannorm": meannorm,
            "by_mse_scale": other_baselines,
        },
    }
    write_json(os.path.join(e, "reference.json"), ref)
    return av_dir, ar_dir, ref


SCRIPT_OPEN = '<explanation>A scripted demo: this toy model says "hello" about every vector.</'
SCRIPT_CLOSE_PIECES = ["exp", "lan", "ation", ">"]  # "explanation>" again, spelled with unused tokens


def scripted_av(dest, tok_src_dir, seed):
    """A 2-layer untied Qwen2 whose greedy output is always SCRIPT_OPEN + "explanation>" + <|im_end|>.

    Attention and MLP write nothing (o_proj = down_proj = 0), so the last hidden state is the current token's
    embedding; lm_head row of each script token is the direction of its predecessor's embedding (x 25), every other
    row is 0. The script's tokens are all distinct, so each step's argmax is the next script token. The vector is
    ignored: this is a plumbing demo with a real explanation tag pair, not a trained NLA.
    """
    tok = AutoTokenizer.from_pretrained(tok_src_dir)
    model = Qwen2ForCausalLM(qwen_config(False, 2))
    fill_weights(model, seed, "qwen2")
    vocab = tok.get_vocab()
    script = tok.encode(SCRIPT_OPEN, add_special_tokens=False) + [vocab[p] for p in SCRIPT_CLOSE_PIECES]
    eos = tok.convert_tokens_to_ids("<|im_end|>")
    prompt_ids, _, _, _ = canonical_prompt(tok, "\u320e", tok.encode("\u320e", add_special_tokens=False)[0])
    chain = [prompt_ids[-1]] + script + [eos]
    assert len(set(chain)) == len(chain), "script tokens must be distinct"
    with torch.no_grad():
        for layer in model.model.layers:
            layer.self_attn.o_proj.weight.zero_()
            layer.mlp.down_proj.weight.zero_()
        model.model.norm.weight.fill_(1.0)
        E = model.model.embed_tokens.weight
        W = model.lm_head.weight
        W.zero_()
        for cur, nxt in zip(chain, chain[1:]):
            W[nxt] = (25.0 * E[cur] / E[cur].norm()).to(torch.bfloat16).float()
    os.makedirs(dest, exist_ok=True)
    model.to(torch.bfloat16).save_pretrained(dest)
    write_generation_config(dest, 151643, [151645, 151643], 151643)
    for n in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(os.path.join(tok_src_dir, n), dest)
    return tok.decode(script)


def finalize(src_dir, dest_dir, family, links_weights=None, self_contained=False):
    """Copy a model dir into the committed layout: .xz for big files, links for shared ones."""
    os.makedirs(dest_dir, exist_ok=True)
    links = {}
    for n in sorted(os.listdir(src_dir)):
        s = os.path.join(src_dir, n)
        if n in ("tokenizer.json", "tokenizer_config.json") and not self_contained:
            links[n] = f"{'tokenizers' if n == 'tokenizer.json' else 'golden/tokenizers'}/{family}/{n}.xz"
            continue
        if n == "model.safetensors" and links_weights:
            links[n] = links_weights
            continue
        shutil.copy(s, os.path.join(dest_dir, n))
        if n in ("model.safetensors", "tokenizer.json") or (n == "tokenizer_config.json" and os.path.getsize(s) > 65536):
            maybe_xz(os.path.join(dest_dir, n), force=True)
    if links:
        write_json(os.path.join(dest_dir, "golden-links.json"), links)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--res", required=True, help="copy of src/test/resources (golden/, tokenizers/)")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    torch.set_num_threads(8)
    work = os.path.join(args.out, "work")
    out_golden = os.path.join(args.out, "golden", "nla")
    summary = {}
    for pair in PAIRS:
        av_dir, ar_dir, ref = build_pair(pair, args.res, work, out_golden, None)
        finalize(av_dir, os.path.join(out_golden, f"{pair['name']}-av"), pair["family"],
                 links_weights=pair["engine"] + "/model.safetensors.xz")
        finalize(ar_dir, os.path.join(out_golden, f"{pair['name']}-ar"), pair["family"])
        summary[pair["name"]] = summarize(ref)

    # The demo pair: a fresh 2-layer tied Qwen2 AV with the Qwen2.5 tokenizer, self-contained.
    demo_av = os.path.join(work, "demo-av")
    os.makedirs(demo_av, exist_ok=True)
    model = Qwen2ForCausalLM(qwen_config(True, 2))
    fill_weights(model, 301, "qwen2")
    model.to(torch.bfloat16).save_pretrained(demo_av)
    write_generation_config(demo_av, 151643, [151645, 151643], 151643)
    for n in ("tokenizer.json", "tokenizer_config.json"):
        src = os.path.join(args.res, "tokenizers/qwen2.5/tokenizer.json.xz") if n == "tokenizer.json" else \
            os.path.join(args.res, "golden/tokenizers/qwen2.5/tokenizer_config.json.xz")
        with lzma.open(src, "rb") as f, open(os.path.join(demo_av, n), "wb") as g:
            shutil.copyfileobj(f, g)
    scripted = os.path.join(work, "demo-scripted-av")
    script_text = scripted_av(scripted, demo_av, 302)
    demo = {"name": "demo", "family": "qwen2.5", "K": 1, "char": "\u320e", "injection_scale": 150.0,
            "mse_scale": "sqrt_d_model", "template_keys": ("av", "ar"), "ar_role": "ar", "av_dir": scripted,
            "ar_from": demo_av, "max_new_tokens": 32,
            "dirs": ("src/main/resources/nla/demo/av", "src/main/resources/nla/demo/ar")}
    av_dir, ar_dir, ref = build_pair(demo, args.res, work, out_golden, None)
    finalize(av_dir, os.path.join(args.out, "demo", "av"), "qwen2.5", self_contained=True)
    finalize(ar_dir, os.path.join(args.out, "demo", "ar"), "qwen2.5", self_contained=True)
    # One tokenizer.json for both; links.json (paths relative to the demo root) tells the demo command what to
    # copy into each directory.
    demo_root = os.path.join(args.out, "demo")
    os.replace(os.path.join(demo_root, "av", "tokenizer.json.xz"), os.path.join(demo_root, "tokenizer.json.xz"))
    os.remove(os.path.join(demo_root, "ar", "tokenizer.json.xz"))
    write_json(os.path.join(demo_root, "av", "links.json"), {"tokenizer.json": "tokenizer.json.xz"})
    write_json(os.path.join(demo_root, "ar", "links.json"), {"tokenizer.json": "tokenizer.json.xz"})
    got = ref["av"]["verbalizations"][0]["greedy"]["text"]
    assert got == script_text, (got, script_text)
    summary["demo"] = summarize(ref)
    shutil.rmtree(work)
    write_json(os.path.join(out_golden, "summary.json"), summary)
    print(json.dumps(summary, indent=1, ensure_ascii=False))


def summarize(ref):
    v = ref["av"]["verbalizations"]
    return {
        "prompt_len": len(ref["av"]["prompt_ids"]), "p": ref["av"]["injection_position"],
        "ban_chars": ref["av"]["ban_chars"], "banned": ref["av"]["banned_ids_count"],
        "ban_changed": [x["ban_changed_path"] for x in v],
        "min_gap": min(min(x["greedy"]["top2_gaps"]) for x in v),
        "min_gap_banned": min(min(x["greedy_banned"]["top2_gaps"]) for x in v),
        "texts": [x["greedy"]["text"][:60] for x in v],
        "suffix": ref["ar"]["critic_suffix_ids"], "suffix_ok": [i["suffix_matches"] for i in ref["ar"]["items"]],
        "av_block_k_diff": ref["ar"]["av_block_k_max_abs_diff"],
        "fve": [round(i["fve_nrm"], 4) for i in ref["ar"]["items"]], "var_nrm": ref["baseline"]["var_nrm"],
    }


if __name__ == "__main__":
    main()
