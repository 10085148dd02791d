#!/usr/bin/env python3
"""Engine parity fixtures: tiny random Qwen2 / Llama 3 / Gemma 3 models with real vocabularies, and Hugging Face
fp32 reference outputs for them.

Run on the GPU machine (torch 2.11, transformers 5.17; everything runs on its CPU in fp32), from the repository
root, after `tools/golden/stage_device.sh` has filled .device/golden/:

    python3 .device/golden/tools/golden/make_engine.py --tok .device/golden/tok --out $OUT/golden

then unpack $OUT/golden into src/test/resources/golden/ (see tools/golden/README.md for the layout and formats).

Models (all saved in bf16, evaluated by HF with dtype=torch.float32):
  qwen2            Qwen2ForCausalLM, q/k/v biases, untied lm_head, v5 config
  qwen2-tied       Qwen2ForCausalLM, tied lm_head, hand-written v4 config (rope_theta)
  llama3           LlamaForCausalLM, llama3 rope scaling, untied lm_head, v5 config
  llama3-v4        same weights as llama3, v4 config (rope_theta + rope_scaling)
  gemma3-text      Gemma3ForCausalLM (gemma3_text), sliding window 6, v5 config
  gemma3-text-v4   same weights, v4 config (rope_theta, rope_scaling, rope_local_base_freq, sliding_window_pattern)
  gemma3-mm        Gemma3ForConditionalGeneration with a tiny vision tower, same text weights, v5 names/config
  gemma3-mm-v4     same, older tensor names (language_model.model.*) and v4 config
  gemma3-text-softcap  same weights as gemma3-text, final_logit_softcapping 300, attn_logit_softcapping 1.0
                   (eager attention); built alone, from the committed gemma3-text, by
    python3 .device/golden/tools/golden/make_engine.py --softcap-only .device/golden/res --out $OUT/golden
"""

import argparse
import copy
import json
import os
import shutil
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from golden_common import (  # noqa: E402
    assemble,
    copy_tokenizer,
    fill_weights,
    maybe_xz,
    save_npy,
    top2_gap,
    write_json,
    write_links,
)

import transformers  # noqa: E402
from transformers import (  # noqa: E402
    AutoModelForCausalLM,
    AutoTokenizer,
    Gemma3Config,
    Gemma3ForCausalLM,
    Gemma3ForConditionalGeneration,
    Gemma3TextConfig,
    GenerationConfig,
    LlamaConfig,
    LlamaForCausalLM,
    Qwen2Config,
    Qwen2ForCausalLM,
    SiglipVisionConfig,
)

TEXTS = [
    "The quick brown fox jumps over the lazy dog near the riverbank at dawn, while 3 herons watch.",
    'In 1969, Apollo 11 landed on the Moon; Neil Armstrong said: "That\'s one small step for man."',
    "Autoencoders map  activations to text <explanation>and back</explanation> ㈎ ㈜ 東京 🙂 again.",
    "Hello",
]
MAX_NEW_TOKENS = 16
N_SAMPLED_LOGIT_IDS = 384
TOP_K = 8

GEMMA_LAYER_TYPES = ["sliding_attention", "sliding_attention", "full_attention", "sliding_attention"]
GEMMA_ROPE = {
    "sliding_attention": {"rope_type": "default", "rope_theta": 10000.0},
    "full_attention": {"rope_type": "linear", "factor": 8.0, "rope_theta": 1000000.0},
}
LLAMA_ROPE = {
    "rope_type": "llama3",
    "rope_theta": 500000.0,
    "factor": 8.0,
    "low_freq_factor": 1.0,
    "high_freq_factor": 4.0,
    "original_max_position_embeddings": 8192,
}


def qwen_config(tied, layers):
    return Qwen2Config(
        vocab_size=152064, hidden_size=16, intermediate_size=48, num_hidden_layers=layers,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=32768,
        rope_parameters={"rope_type": "default", "rope_theta": 1000000.0}, rms_norm_eps=1e-6,
        tie_word_embeddings=tied, bos_token_id=151643, eos_token_id=151645,
        architectures=["Qwen2ForCausalLM"])


def llama_config():
    return LlamaConfig(
        vocab_size=128256, hidden_size=16, head_dim=16, intermediate_size=40, num_hidden_layers=3,
        num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=131072,
        rope_parameters=dict(LLAMA_ROPE), rms_norm_eps=1e-5, tie_word_embeddings=False,
        bos_token_id=128000, eos_token_id=[128001, 128008, 128009], architectures=["LlamaForCausalLM"])


def gemma_text_config():
    return Gemma3TextConfig(
        vocab_size=262208, hidden_size=16, head_dim=8, intermediate_size=48, num_hidden_layers=4,
        num_attention_heads=4, num_key_value_heads=2, sliding_window=6, layer_types=list(GEMMA_LAYER_TYPES),
        query_pre_attn_scalar=24, rope_parameters=copy.deepcopy(GEMMA_ROPE), max_position_embeddings=131072,
        rms_norm_eps=1e-6, bos_token_id=2, eos_token_id=[1, 106], pad_token_id=0,
        architectures=["Gemma3ForCausalLM"])


def gemma_mm_config():
    text = gemma_text_config().to_dict()
    text.pop("architectures", None)
    vision = SiglipVisionConfig(hidden_size=8, intermediate_size=16, num_hidden_layers=1, num_attention_heads=2,
                                image_size=28, patch_size=14).to_dict()
    return Gemma3Config(text_config=text, vision_config=vision, mm_tokens_per_image=1, image_token_index=262144,
                        boi_token_index=255999, eoi_token_index=256000, architectures=["Gemma3ForConditionalGeneration"])


# ---- v4-style configs, written by hand the way transformers 4.4x/4.5x wrote them ----

def v4_text_config(v5, family):
    """Turn a v5 text config dict into the v4 spelling: rope_theta/rope_scaling/rope_local_base_freq and
    sliding_window_pattern instead of rope_parameters/layer_types."""
    c = dict(v5)
    rope = c.pop("rope_parameters")
    c.pop("layer_types", None)
    c.pop("_sliding_window_pattern", None)
    c.pop("dtype", None)
    c["torch_dtype"] = "bfloat16"
    if family == "gemma3":
        c["rope_theta"] = rope["full_attention"]["rope_theta"]
        c["rope_local_base_freq"] = rope["sliding_attention"]["rope_theta"]
        c["rope_scaling"] = {"factor": rope["full_attention"]["factor"], "rope_type": "linear"}
        # layer i is global when (i + 1) % pattern == 0; pattern 3 gives sliding, sliding, full, sliding
        c["sliding_window_pattern"] = 3
        c["transformers_version"] = "4.50.0.dev0"
    elif family == "llama":
        c["rope_theta"] = rope["rope_theta"]
        scaling = {k: v for k, v in rope.items() if k != "rope_theta"}
        c["rope_scaling"] = scaling
        c["transformers_version"] = "4.47.0.dev0"
    else:
        c["rope_theta"] = rope["rope_theta"]
        c["rope_scaling"] = None
        c["sliding_window"] = 131072
        c["max_window_layers"] = 28
        c["transformers_version"] = "4.43.1"
    return c


def read_config(d):
    with open(os.path.join(d, "config.json")) as f:
        return json.load(f)


def write_config(d, cfg):
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")


def write_generation_config(d, bos, eos, pad=None):
    gc = GenerationConfig(bos_token_id=bos, eos_token_id=eos, pad_token_id=pad, do_sample=False)
    gc.save_pretrained(d)


# ---- building ----

def build(name, out_models, tok_root, family, model, seed, gen_bos, gen_eos, gen_pad=None):
    fill_weights(model, seed, family)
    d = os.path.join(out_models, name)
    os.makedirs(d, exist_ok=True)
    model.to(torch.bfloat16).save_pretrained(d)
    write_generation_config(d, gen_bos, gen_eos, gen_pad)
    copy_tokenizer(tok_root, {"qwen2": "qwen2.5", "llama": "llama3", "gemma3": "gemma3"}[family], d)
    return d


def load_fp32(d, cls=AutoModelForCausalLM, attn_implementation=None):
    kwargs = {"attn_implementation": attn_implementation} if attn_implementation else {}
    m = cls.from_pretrained(d, dtype=torch.float32, **kwargs)
    m.eval()
    return m


def decoder_layers(model):
    layers = [m for n, m in model.named_modules() if type(m).__name__.endswith("DecoderLayer")]
    assert layers, "no decoder layers found"
    return layers


def forward_all(model, ids=None, embeds=None):
    """Block outputs via hooks ([L, T, d], output of block K, no final norm), HF hidden_states, logits."""
    captured = []

    def hook(_m, _inp, out):
        captured.append((out[0] if isinstance(out, tuple) else out)[0].detach().clone())

    handles = [layer.register_forward_hook(hook) for layer in decoder_layers(model)]
    try:
        with torch.no_grad():
            if ids is not None:
                out = model(input_ids=torch.tensor([ids]), output_hidden_states=True, use_cache=False)
            else:
                out = model(inputs_embeds=embeds[None], output_hidden_states=True, use_cache=False)
    finally:
        for h in handles:
            h.remove()
    blocks = torch.stack(captured)
    hs = torch.stack([h[0] for h in out.hidden_states])
    return blocks, hs, out.logits[0]


def greedy(model, eos_ids, ids=None, embeds=None, max_new=MAX_NEW_TOKENS):
    """Greedy decoding by full recomputation; records the reference's top-2 logit gap at every step."""
    out_ids, gaps = [], []
    embed = model.get_input_embeddings()
    finish = "length"
    with torch.no_grad():
        for _ in range(max_new):
            if ids is not None:
                logits = model(input_ids=torch.tensor([ids + out_ids]), use_cache=False).logits[0, -1]
            else:
                extra = embed(torch.tensor([out_ids])).reshape(len(out_ids), -1) if out_ids else embeds[:0]
                logits = model(inputs_embeds=torch.cat([embeds, extra])[None], use_cache=False).logits[0, -1]
            tok, gap = top2_gap(logits)
            out_ids.append(tok)
            gaps.append(gap)
            if tok in eos_ids:
                finish = "eos"
                break
    return out_ids, gaps, finish


def hf_generate(model, ids=None, embeds=None, max_new=MAX_NEW_TOKENS):
    try:
        return _hf_generate(model, ids, embeds, max_new)
    except Exception as e:  # recorded in the reference; the manual greedy loop is the reference
        return "error: " + repr(e)[:300]


def _hf_generate(model, ids, embeds, max_new):
    with torch.no_grad():
        if ids is not None:
            inp = torch.tensor([ids])
            g = model.generate(input_ids=inp, attention_mask=torch.ones_like(inp), do_sample=False,
                               max_new_tokens=max_new)
            return g[0, len(ids):].tolist()
        g = model.generate(inputs_embeds=embeds[None], attention_mask=torch.ones(1, embeds.shape[0], dtype=torch.long),
                           do_sample=False, max_new_tokens=max_new)
        return g[0].tolist()


def references(name, d, out_engine, full_logits, summary, attn_implementation=None):
    # Soft-capped attention needs the eager kernel: HF's sdpa path ignores attn_logit_softcapping.
    model = load_fp32(d, attn_implementation=attn_implementation)
    tok = AutoTokenizer.from_pretrained(d)
    cfg = model.config
    gen_cfg = GenerationConfig.from_pretrained(d)
    eos = gen_cfg.eos_token_id
    eos_ids = eos if isinstance(eos, list) else [eos]
    vocab = model.get_output_embeddings().weight.shape[0]
    sample_ids = sorted(set(np.linspace(0, vocab - 1, N_SAMPLED_LOGIT_IDS).round().astype(int).tolist()))
    e = os.path.join(out_engine, name)
    os.makedirs(e, exist_ok=True)
    ref = {
        "model": name,
        "transformers_version": transformers.__version__,
        "torch_version": torch.__version__,
        "dtype": "float32 (weights stored bf16)",
        "attn_implementation": model.config._attn_implementation,
        "eos_token_ids": eos_ids,
        "logit_sample_ids": sample_ids,
        "texts": [],
    }
    min_gap = float("inf")
    for i, text in enumerate(TEXTS):
        ids = tok(text, add_special_tokens=True)["input_ids"]
        blocks, hs, logits = forward_all(model, ids=ids)
        n_layers = blocks.shape[0]
        # HF hidden_states[k+1] is block k's output for every block but the last, where HF returns it after the
        # final norm. Record which, so tests know.
        same_inner = all(torch.equal(hs[k + 1], blocks[k]) for k in range(n_layers - 1))
        last_is_block = bool(torch.equal(hs[n_layers], blocks[n_layers - 1]))
        out_ids, gaps, finish = greedy(model, eos_ids, ids=ids)
        hf_ids = hf_generate(model, ids=ids)
        entry = {
            "text": text,
            "ids": ids,
            "num_tokens": len(ids),
            "blocks_file": save_npy(os.path.join(e, f"text{i}.blocks.npy"), blocks.numpy()),
            "hidden_states_file": save_npy(os.path.join(e, f"text{i}.hidden_states.npy"), hs.numpy()),
            "hidden_states_inner_equal_blocks": same_inner,
            "hidden_states_last_equals_last_block": last_is_block,
            "logits_sampled_file": save_npy(os.path.join(e, f"text{i}.logits_sampled.npy"),
                                            logits[:, sample_ids].numpy()),
            "top_ids": logits.topk(TOP_K, dim=-1).indices.tolist(),
            "greedy": {
                "max_new_tokens": MAX_NEW_TOKENS,
                "output_ids": out_ids,
                "top2_gaps": gaps,
                "finish_reason": finish,
                "hf_generate_output_ids": hf_ids,
                "hf_generate_agrees": hf_ids == out_ids,
            },
        }
        if full_logits and i == 0:
            entry["logits_full_last_file"] = save_npy(os.path.join(e, "text0.logits_full_last.npy"),
                                                      logits[-1].numpy())
        min_gap = min(min_gap, min(gaps))
        ref["texts"].append(entry)

    # Generation from input embeddings: the embedding of text 0's prompt with row p replaced by a given vector.
    ids = ref["texts"][0]["ids"]
    with torch.no_grad():
        emb = model.get_input_embeddings()(torch.tensor([ids]))[0].clone()
    p = 4
    g = torch.Generator().manual_seed(1234)
    v = torch.randn(emb.shape[1], generator=g)
    v = v / v.norm() * (3.0 * emb.norm(dim=-1).mean())
    emb[p] = v
    out_ids, gaps, finish = greedy(model, eos_ids, embeds=emb)
    hf_ids = hf_generate(model, embeds=emb)
    blocks, hs, logits = forward_all(model, embeds=emb)
    ref["embeds_generation"] = {
        "prompt_ids": ids,
        "replaced_row": p,
        "vector_file": save_npy(os.path.join(e, "embeds.vector.npy"), v.numpy()),
        "inputs_embeds_file": save_npy(os.path.join(e, "embeds.inputs.npy"), emb.numpy()),
        "blocks_file": save_npy(os.path.join(e, "embeds.blocks.npy"), blocks.numpy()),
        "logits_sampled_file": save_npy(os.path.join(e, "embeds.logits_sampled.npy"), logits[:, sample_ids].numpy()),
        "max_new_tokens": MAX_NEW_TOKENS,
        "output_ids": out_ids,
        "top2_gaps": gaps,
        "finish_reason": finish,
        "hf_generate_output_ids": hf_ids,
        "hf_generate_agrees": hf_ids == out_ids,
    }
    min_gap = min(min_gap, min(gaps))
    embed_scale = getattr(model.get_input_embeddings(), "embed_scale", None)
    ref["embed_scale"] = float(embed_scale) if embed_scale is not None else 1.0
    write_json(os.path.join(e, "reference.json"), ref)
    summary[name] = {
        "min_top2_gap": min_gap,
        "hf_generate_agrees": all(t["greedy"]["hf_generate_agrees"] for t in ref["texts"])
        and ref["embeds_generation"]["hf_generate_agrees"],
        "greedy_0": ref["texts"][0]["greedy"]["output_ids"],
        "decoded_0": tok.decode(ref["texts"][0]["greedy"]["output_ids"]),
        "hidden_inner_equal": [t["hidden_states_inner_equal_blocks"] for t in ref["texts"]],
        "hidden_last_is_block": [t["hidden_states_last_equals_last_block"] for t in ref["texts"]],
        "logit_std": float(logits.std()),
    }
    return model


def state_of(model):
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def compare_states(a, b):
    """Max abs difference over common text weights (after name normalisation) and missing names."""
    def norm(k):
        for prefix in ("model.language_model.", "language_model.model.", "model."):
            if k.startswith(prefix):
                return k[len(prefix):]
        return k
    na = {norm(k): v for k, v in a.items() if "vision" not in k and "multi_modal" not in k}
    nb = {norm(k): v for k, v in b.items() if "vision" not in k and "multi_modal" not in k}
    missing = sorted(set(na) ^ set(nb))
    diff = max(float((na[k].float() - nb[k].float()).abs().max()) for k in set(na) & set(nb))
    return diff, missing


def softcap_only(res_root, out):
    """gemma3-text-softcap: the weights of the committed gemma3-text with final_logit_softcapping 300 and
    attn_logit_softcapping 1.0 (strong enough to change every attention row), evaluated with eager attention."""
    models_root = os.path.join(out, "models")
    engine_root = os.path.join(out, "engine")
    d = assemble(res_root, "golden/models/gemma3-text", os.path.join(out, "work", "gemma3-text-softcap"))
    plain = load_fp32(d, attn_implementation="eager")
    probe = AutoTokenizer.from_pretrained(d)(TEXTS[0])["input_ids"]
    with torch.no_grad():
        plain_logits = plain(input_ids=torch.tensor([probe])).logits[0]
    cfg = read_config(d)
    cfg["final_logit_softcapping"] = 300.0
    cfg["attn_logit_softcapping"] = 1.0
    write_config(d, cfg)
    summary = {}
    model = references("gemma3-text-softcap", d, engine_root, True, summary, attn_implementation="eager")
    with torch.no_grad():
        capped_logits = model(input_ids=torch.tensor([probe])).logits[0]
    summary["max_abs_logit_change_from_caps"] = float((capped_logits - plain_logits).abs().max())
    summary["config_softcaps"] = [model.config.final_logit_softcapping, model.config.attn_logit_softcapping]
    dest = os.path.join(models_root, "gemma3-text-softcap")
    os.makedirs(dest, exist_ok=True)
    for n in ("config.json", "generation_config.json"):
        shutil.copy(os.path.join(d, n), dest)
    write_links(dest, {
        "model.safetensors": "golden/models/gemma3-text/model.safetensors.xz",
        "tokenizer.json": "tokenizers/gemma3/tokenizer.json.xz",
        "tokenizer_config.json": "golden/tokenizers/gemma3/tokenizer_config.json.xz",
    })
    shutil.rmtree(os.path.join(out, "work"))
    print(json.dumps(summary, indent=1, default=str))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tok", help="dir with qwen2.5/, llama3/, gemma3/ tokenizer files")
    ap.add_argument("--out", required=True)
    ap.add_argument("--softcap-only", metavar="RES", help="only build gemma3-text-softcap from the committed "
                    "golden tree copied to RES (see stage_device.sh)")
    args = ap.parse_args()
    torch.manual_seed(0)
    torch.set_num_threads(8)
    if args.softcap_only:
        softcap_only(args.softcap_only, args.out)
        return
    models_root = os.path.join(args.out, "models")
    engine_root = os.path.join(args.out, "engine")
    summary = {}
    checks = {}

    # Qwen2, untied, v5 config
    d = build("qwen2", models_root, args.tok, "qwen2", Qwen2ForCausalLM(qwen_config(False, 3)), 101,
              151643, [151645, 151643], 151643)
    references("qwen2", d, engine_root, True, summary)

    # Qwen2, tied, v4 config
    d = build("qwen2-tied", models_root, args.tok, "qwen2", Qwen2ForCausalLM(qwen_config(True, 2)), 102,
              151643, [151645, 151643], 151643)
    write_config(d, v4_text_config(read_config(d), "qwen2"))
    references("qwen2-tied", d, engine_root, False, summary)

    # Llama 3, v5 and v4 configs over the same weights
    d = build("llama3", models_root, args.tok, "llama", LlamaForCausalLM(llama_config()), 103,
              128000, [128001, 128008, 128009])
    llama = references("llama3", d, engine_root, True, summary)
    d4 = os.path.join(models_root, "llama3-v4")
    shutil.copytree(d, d4)
    write_config(d4, v4_text_config(read_config(d), "llama"))
    llama4 = references("llama3-v4", d4, engine_root, False, summary)
    checks["llama3-v4 rope"] = str(llama4.config.rope_parameters)
    checks["llama3-v4 weights"] = compare_states(state_of(llama), state_of(llama4))

    # Gemma 3 text, v5 and v4 configs over the same weights
    d = build("gemma3-text", models_root, args.tok, "gemma3", Gemma3ForCausalLM(gemma_text_config()), 104,
              2, [1, 106], 0)
    gtext = references("gemma3-text", d, engine_root, True, summary)
    d4 = os.path.join(models_root, "gemma3-text-v4")
    shutil.copytree(d, d4)
    write_config(d4, v4_text_config(read_config(d), "gemma3"))
    gtext4 = references("gemma3-text-v4", d4, engine_root, False, summary)
    checks["gemma3-text-v4 layer_types"] = gtext4.config.layer_types
    checks["gemma3-text-v4 rope"] = str(gtext4.config.rope_parameters)
    checks["gemma3-text-v4 weights"] = compare_states(state_of(gtext), state_of(gtext4))

    # Gemma 3 multimodal wrapper: tiny vision tower, the text weights of gemma3-text
    mm = Gemma3ForConditionalGeneration(gemma_mm_config())
    fill_weights(mm, 105, "gemma3")
    text_state = state_of(gtext)
    with torch.no_grad():
        mm_lm = mm.model.language_model
        for k, v in mm_lm.state_dict().items():
            mm_lm.state_dict()[k].copy_(text_state["model." + k])
    dmm = os.path.join(models_root, "gemma3-mm")
    os.makedirs(dmm, exist_ok=True)
    mm.to(torch.bfloat16).save_pretrained(dmm)
    write_generation_config(dmm, 2, [1, 106], 0)
    copy_tokenizer(args.tok, "gemma3", dmm)
    gmm = references("gemma3-mm", dmm, engine_root, False, summary)
    checks["gemma3-mm weights vs text"] = compare_states(text_state, state_of(gmm))

    # Older writers: language_model.model.*, vision_tower.*, multi_modal_projector.*; v4 config
    from safetensors.torch import load_file, save_file
    dmm4 = os.path.join(models_root, "gemma3-mm-v4")
    os.makedirs(dmm4, exist_ok=True)
    tensors = load_file(os.path.join(dmm, "model.safetensors"))
    renamed = {}
    for k, v in tensors.items():
        if k.startswith("model.language_model."):
            nk = "language_model.model." + k[len("model.language_model."):]
        elif k.startswith("model."):
            nk = k[len("model."):]
        elif k.startswith("lm_head."):
            nk = "language_model." + k
        else:
            nk = k
        renamed[nk] = v.contiguous()
    save_file(renamed, os.path.join(dmm4, "model.safetensors"), metadata={"format": "pt"})
    cfg = read_config(dmm)
    cfg["text_config"] = v4_text_config(cfg["text_config"], "gemma3")
    cfg.pop("dtype", None)
    cfg["torch_dtype"] = "bfloat16"
    cfg["transformers_version"] = "4.50.0.dev0"
    write_config(dmm4, cfg)
    shutil.copy(os.path.join(dmm, "generation_config.json"), dmm4)
    copy_tokenizer(args.tok, "gemma3", dmm4)
    gmm4 = references("gemma3-mm-v4", dmm4, engine_root, False, summary)
    checks["gemma3-mm-v4 weights vs mm"] = compare_states(state_of(gmm), state_of(gmm4))
    checks["gemma3-mm-v4 text layer_types"] = gmm4.config.text_config.layer_types

    # Cross-variant agreement of the references themselves
    def ref_ids(n):
        with open(os.path.join(engine_root, n, "reference.json")) as f:
            r = json.load(f)
        return [t["greedy"]["output_ids"] for t in r["texts"]] + [r["embeds_generation"]["output_ids"]]
    for a, b in [("llama3", "llama3-v4"), ("gemma3-text", "gemma3-text-v4"), ("gemma3-text", "gemma3-mm"),
                 ("gemma3-text", "gemma3-mm-v4")]:
        checks[f"same greedy {a} {b}"] = ref_ids(a) == ref_ids(b)

    # Compress big model files; replace per-model tokenizer copies and shared weights by links.
    finalize_models(models_root)
    write_json(os.path.join(args.out, "engine", "summary.json"), {"models": summary, "checks": checks})
    print(json.dumps({"models": summary, "checks": checks}, indent=1, default=str))


TOKENIZER_LINK = {"qwen2": "qwen2.5", "qwen2-tied": "qwen2.5", "llama3": "llama3", "llama3-v4": "llama3",
                  "gemma3-text": "gemma3", "gemma3-text-v4": "gemma3", "gemma3-mm": "gemma3", "gemma3-mm-v4": "gemma3"}
SHARED_WEIGHTS = {"llama3-v4": "llama3", "gemma3-text-v4": "gemma3-text"}


def finalize_models(models_root):
    for name in sorted(os.listdir(models_root)):
        d = os.path.join(models_root, name)
        family = TOKENIZER_LINK[name]
        links = {
            "tokenizer.json": f"tokenizers/{family}/tokenizer.json.xz",
            "tokenizer_config.json": f"golden/tokenizers/{family}/tokenizer_config.json.xz",
        }
        os.remove(os.path.join(d, "tokenizer.json"))
        os.remove(os.path.join(d, "tokenizer_config.json"))
        if name in SHARED_WEIGHTS:
            os.remove(os.path.join(d, "model.safetensors"))
            links["model.safetensors"] = f"golden/models/{SHARED_WEIGHTS[name]}/model.safetensors.xz"
        else:
            maybe_xz(os.path.join(d, "model.safetensors"), force=True)
        write_links(d, links)


if __name__ == "__main__":
    main()
