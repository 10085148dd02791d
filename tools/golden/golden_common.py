"""Shared helpers for the golden-data scripts (imported by the make_*.py scripts).

Nothing here is run on its own. Tiny random models are built with seeded torch generators so that a rerun
produces the same bytes; weights are rounded to bf16 before anything is measured, because bf16 is what is saved
and what the Java engine reads.
"""

import json
import lzma
import os
import shutil

import numpy as np

FAMILY_TOKENIZER = {"qwen2": "qwen2.5", "llama": "llama3", "gemma3": "gemma3"}

# Files bigger than this are stored .xz-compressed in the repository.
XZ_THRESHOLD = 64 * 1024


def write_json(path, obj):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=1)
        f.write("\n")


def save_npy(path, array):
    """float32 little-endian C-order .npy (what nla.io.Npy reads); .xz-compressed when large."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    array = np.ascontiguousarray(np.asarray(array, dtype="<f4"))
    np.save(path, array)
    return maybe_xz(path)


def maybe_xz(path, force=False):
    """Compress PATH to PATH.xz (and delete PATH) if it is large; returns the stored file name."""
    if force or os.path.getsize(path) > XZ_THRESHOLD:
        with open(path, "rb") as f:
            data = f.read()
        with open(path + ".xz", "wb") as f:
            f.write(lzma.compress(data, preset=9 | lzma.PRESET_EXTREME))
        os.remove(path)
        return os.path.basename(path) + ".xz"
    return os.path.basename(path)


def write_links(model_dir, links):
    """golden-links.json: file name in the assembled model dir -> resource path relative to the golden root.

    GoldenFixtures.modelDir copies (and un-xz's) each target into the assembled directory. This keeps one copy
    of each real tokenizer and of weights shared between config variants (v4/v5 style) in the repository.
    """
    write_json(os.path.join(model_dir, "golden-links.json"), links)


def assemble(res_root, rel_dir, dest):
    """A committed model folder made whole in dest: its .xz files unpacked and its golden-links.json followed (the
    inverse of maybe_xz and write_links; GoldenFixtures.modelDir does the same in the tests)."""
    src = os.path.join(res_root, rel_dir)
    os.makedirs(dest, exist_ok=True)
    files = {}
    for n in os.listdir(src):
        if n != "golden-links.json":
            files[n[:-3] if n.endswith(".xz") else n] = os.path.join(src, n)
    links = os.path.join(src, "golden-links.json")
    if os.path.exists(links):
        for k, v in json.load(open(links)).items():
            files[k] = os.path.join(res_root, v)
    for name, path in files.items():
        opener = lzma.open if path.endswith(".xz") else open
        with opener(path, "rb") as f, open(os.path.join(dest, name), "wb") as g:
            shutil.copyfileobj(f, g)
    return dest


def copy_tokenizer(tok_root, family, dest):
    """Copy TOK_ROOT/FAMILY/{tokenizer.json,tokenizer_config.json}[.xz] into DEST, decompressed."""
    src = os.path.join(tok_root, family)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        plain = os.path.join(src, name)
        if os.path.exists(plain):
            shutil.copy(plain, os.path.join(dest, name))
        else:
            with lzma.open(plain + ".xz", "rb") as f, open(os.path.join(dest, name), "wb") as g:
                shutil.copyfileobj(f, g)


def top2_gap(logits_row):
    """(argmax id, top1 - top2) of a 1-D torch tensor."""
    values, ids = logits_row.topk(2)
    return int(ids[0]), float(values[0] - values[1])


def fill_weights(model, seed, family, emb_scale=1.0, final_norm=12.0, linear_gain=1.0, branch_gain=4.0):
    """Deterministic, non-trivial weights, rounded to bf16.

    Embedding / lm_head tables (real vocabularies, the bulk of the bytes) take values from the 4-level set
    {-1.5, -0.5, 0.5, 1.5} * emb_scale so that the .xz file stays small while rows stay distinct
    (4^16 patterns >> vocab size, so exact logit ties are negligible). Norm weights vary per channel, biases are
    non-zero, and the final norm is large so that logits spread widely and greedy decoding has clear margins.
    Gemma norms compute x * (1 + w), so their stored weights are offsets around 0.
    The attention/MLP branches write into the residual stream with a large gain (o_proj/down_proj scaled by
    branch_gain; Gemma's post-attention/post-feedforward norms around branch_gain * 2), so that the stream is not
    dominated by the current token's own embedding: with tied embeddings that makes a random model repeat the
    same token forever, which would test little of the KV cache.
    """
    import torch

    gen = torch.Generator().manual_seed(seed)
    levels = torch.tensor([-1.5, -0.5, 0.5, 1.5]) * emb_scale
    gemma = family == "gemma3"
    with torch.no_grad():
        for name, p in sorted(model.named_parameters(), key=lambda kv: kv[0]):
            shape = p.shape
            if name.endswith("embed_tokens.weight") or name.endswith("lm_head.weight"):
                idx = torch.randint(0, 4, tuple(shape), generator=gen)
                value = levels[idx]
            elif "vision" in name or "multi_modal_projector" in name:
                if name.endswith("norm.weight") or name.endswith("layernorm.weight"):
                    value = 1.0 + 0.2 * torch.randn(tuple(shape), generator=gen)
                else:
                    value = 0.2 * torch.randn(tuple(shape), generator=gen)
            elif name.endswith("norm.weight"):
                is_final = name.endswith("model.norm.weight") or name.endswith("language_model.norm.weight")
                if is_final:
                    base = final_norm - 1.0 if gemma else final_norm
                    value = base + 0.5 * (torch.rand(tuple(shape), generator=gen) - 0.5)
                elif gemma and ("post_attention_layernorm" in name or "post_feedforward_layernorm" in name):
                    value = (2.0 * branch_gain - 1.0) + 0.8 * (torch.rand(tuple(shape), generator=gen) - 0.5)
                elif gemma:
                    value = 0.8 * (torch.rand(tuple(shape), generator=gen) - 0.5)
                else:
                    value = 0.6 + 0.8 * torch.rand(tuple(shape), generator=gen)
            elif name.endswith(".bias"):
                value = 0.3 * torch.randn(tuple(shape), generator=gen)
            elif p.dim() == 2:
                fan_in = shape[1]
                value = linear_gain * torch.randn(tuple(shape), generator=gen) / (fan_in ** 0.5)
                if name.endswith("q_proj.weight") or name.endswith("k_proj.weight"):
                    value = value * 2.0  # peakier attention, so masks and positions matter
                if not gemma and (name.endswith("o_proj.weight") or name.endswith("down_proj.weight")):
                    value = value * branch_gain
            else:
                value = 0.2 * torch.randn(tuple(shape), generator=gen)
            p.copy_(value.to(torch.bfloat16).to(p.dtype))
