#!/usr/bin/env python3
"""A random-initialised NLA pair of a real model's shape, and an activation set for it: what `nla study eval` is
timed on where the released checkpoints cannot travel (the GPU machine is offline and takes ~64 MiB per call, so
the 15 GB AV is made there).

    python3 tools/gpu/make_shaped_pair.py --shape qwen2.5-7b --out DIR [--activations 1000] [--layer 20]

writes DIR/av, DIR/ar (each a checkpoint nla opens: config.json, generation_config.json, nla_meta.yaml,
tokenizer.json, tokenizer_config.json with the chat template, bf16 safetensors; the AR also value_head.safetensors
[d, d]) and DIR/activations.npy (float32 [N, d], what `nla study eval --activations` reads). Then, e.g.:

    ./nla --device cuda study eval --av DIR/av --ar DIR/ar --activations DIR/activations.npy \\
        --max-new-tokens 150 --ignore-eos --batch 250 --out RUN

Everything but the weights is the tiny Qwen2.5-family pair of the parity tests (src/test/resources/golden/nla/
qwen2.5-av and -ar, made by tools/golden/make_nla.py): its config with the shape's numbers put in, its sidecars with
d_model and the layer put in (the injection token, its neighbours and the AR's suffix ids depend only on the
tokenizer and the templates, which are the same), its generation config, and the real Qwen2.5 tokenizer and chat
template its golden-links.json names. The tokenizer has 151,665 ids and the 7B's vocabulary 152,064 rows (the real
model's padding, as in the released checkpoint): an id past the tokenizer decodes to nothing in nla, as in
transformers, so a random AV's every choice is decodable.

The AV is the whole model (embedding and lm_head untied for the 7B, as released); the AR is its first K+1 blocks,
tied embedding, no lm_head, plus the value head: the layout make_nla.py gives the tiny pairs and the AR sidecar
check (AR layers = K + 1) expects. A tensor's values depend only on --seed and its name, so the AR's blocks are the
AV's. Matrices and biases are N(0, 0.02²), norm weights 1 (what transformers' Qwen2 init gives), a sane bf16
forward: at the 7B's width (fp32, torch, 24 tokens with a row of norm 150 injected) the residual stream's rms per
entry grew as about 2.5·√blocks (2.5 after one block, 6.2 after six: some 13 after 28), attention scores had std
1.4 and the logits std 1.2, largest about 5 over the vocabulary. The value head is N(0, 1/d), so a prediction has
the norm of its input.

Speed: each tensor is drawn on the GPU in bf16 (torch, CPU when there is no GPU) and streamed to its file while the
next is drawn, so host memory holds two tensors, never a model; files are split into shards of at most --shard-gb
(the released 7B has four), with model.safetensors.index.json, and forced to disk (fsync) so that a later timing
can drop them from the page cache. Every file is then read back by the safetensors library (names, dtypes, shapes,
and a few tensors' bytes against a fresh draw). Shapes here for a CPU check of the same flow: qwen2.5-0.5b and tiny.
"""

import argparse
import json
import lzma
import math
import os
import queue
import shutil
import sys
import threading
import time
import zlib

import numpy as np
import torch

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RESOURCES = os.path.join(ROOT, "src", "test", "resources")
SOURCE_PAIR = os.path.join(RESOURCES, "golden", "nla", "qwen2.5-{role}")

# config.json numbers of the published checkpoints (nla.model.bench.BenchShape has the same table for `nla bench`);
# layer = the K of the pair: the released Qwen2.5-7B NLA reads layer 20.
SHAPES = {
    "qwen2.5-7b": dict(hidden=3584, intermediate=18944, layers=28, heads=28, kv_heads=4, vocab=152064, tied=False,
                       layer=20),
    "qwen2.5-0.5b": dict(hidden=896, intermediate=4864, layers=24, heads=14, kv_heads=2, vocab=151936, tied=True,
                         layer=17),
    # For a quick CPU run of the whole flow; untied like the 7B, and a vocabulary past the tokenizer's like it.
    "tiny": dict(hidden=64, intermediate=128, layers=4, heads=4, kv_heads=2, vocab=151936, tied=False, layer=2),
}
INIT_STD = 0.02
MARKER = ".made-by-make_shaped_pair"  # lets a rerun replace the folder, finished or not
ONES = "ones"  # a tensor's init: ONES, or the standard deviation of its normal draw


# ---- what the pair holds ----

def decoder_tensors(shape, layers):
    """(name, shape, init) of a Qwen2 decoder of `layers` blocks, in transformers' order."""
    d, ff = shape["hidden"], shape["intermediate"]
    head_dim = d // shape["heads"]
    q, kv = shape["heads"] * head_dim, shape["kv_heads"] * head_dim
    out = [("model.embed_tokens.weight", (shape["vocab"], d), INIT_STD)]
    for i in range(layers):
        p = f"model.layers.{i}."
        out += [
            (p + "input_layernorm.weight", (d,), ONES),
            (p + "self_attn.q_proj.weight", (q, d), INIT_STD),
            (p + "self_attn.q_proj.bias", (q,), INIT_STD),
            (p + "self_attn.k_proj.weight", (kv, d), INIT_STD),
            (p + "self_attn.k_proj.bias", (kv,), INIT_STD),
            (p + "self_attn.v_proj.weight", (kv, d), INIT_STD),
            (p + "self_attn.v_proj.bias", (kv,), INIT_STD),
            (p + "self_attn.o_proj.weight", (d, q), INIT_STD),
            (p + "post_attention_layernorm.weight", (d,), ONES),
            (p + "mlp.gate_proj.weight", (ff, d), INIT_STD),
            (p + "mlp.up_proj.weight", (ff, d), INIT_STD),
            (p + "mlp.down_proj.weight", (d, ff), INIT_STD),
        ]
    out.append(("model.norm.weight", (d,), ONES))
    return out


def draw(name, shape, init, seed, device):
    """The tensor `name` in bf16 on `device`: the same values for the same (seed, name) wherever it is drawn."""
    if init == ONES:
        return torch.ones(shape, dtype=torch.bfloat16, device=device)
    g = torch.Generator(device=device)
    g.manual_seed(seed * 1_000_003 + zlib.crc32(name.encode()))
    return torch.randn(shape, generator=g, dtype=torch.bfloat16, device=device).mul_(init)


# ---- safetensors, streamed ----

def header_bytes(specs):
    """The safetensors header for `specs` (name, shape) in bf16, in order, padded so the data starts 8-aligned."""
    header, offset = {"__metadata__": {"format": "pt"}}, 0
    for name, shape in specs:
        end = offset + 2 * math.prod(shape)
        header[name] = {"dtype": "BF16", "shape": list(shape), "data_offsets": [offset, end]}
        offset = end
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-(8 + len(text)) % 8)
    return len(text).to_bytes(8, "little") + text


def write_files(files, seed, device):
    """Writes each file {path: [(name, shape, init)]}: tensors drawn on `device` while a thread writes the last."""
    pending = queue.Queue(maxsize=2)
    failure = []

    def writer():
        try:
            while (item := pending.get()) is not None:
                f, tensor = item
                if tensor is None:  # the end of a file
                    f.flush()
                    os.fsync(f.fileno())
                    f.close()
                else:
                    f.write(tensor.view(torch.int16).numpy().data)
        except BaseException as e:  # reported by the main thread
            failure.append(e)
            while pending.get() is not None:
                pass

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        for path, tensors in files.items():
            f = open(path, "wb")
            f.write(header_bytes([(n, s) for n, s, _ in tensors]))
            for name, shape, init in tensors:
                if failure:  # the writer stopped: its error is raised below
                    break
                pending.put((f, draw(name, shape, init, seed, device).cpu().contiguous()))
            if failure:
                break
            pending.put((f, None))
    finally:
        pending.put(None)
        thread.join()
    if failure:
        raise failure[0]


def shard(tensors, max_bytes):
    """Consecutive runs of `tensors` of at most max_bytes each (a bigger tensor alone)."""
    shards, size = [[]], 0
    for t in tensors:
        nbytes = 2 * math.prod(t[1])
        if shards[-1] and size + nbytes > max_bytes:
            shards.append([])
            size = 0
        shards[-1].append(t)
        size += nbytes
    return shards


def write_weights(model_dir, tensors, seed, device, max_shard_bytes):
    """model.safetensors, or shards and model.safetensors.index.json as transformers names them."""
    shards = shard(tensors, max_shard_bytes)
    if len(shards) == 1:
        files = {os.path.join(model_dir, "model.safetensors"): shards[0]}
    else:
        names = [f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors" for i in range(len(shards))]
        files = {os.path.join(model_dir, n): s for n, s in zip(names, shards)}
        index = {"metadata": {"total_size": sum(2 * math.prod(t[1]) for t in tensors)},
                 "weight_map": {t[0]: n for n, s in zip(names, shards) for t in s}}
        write_json(os.path.join(model_dir, "model.safetensors.index.json"), index)
    write_files(files, seed, device)
    return files


def check_with_safetensors(files, seed, device):
    """Reads every file back with the safetensors library: names, dtypes, shapes, and some tensors' values."""
    from safetensors import safe_open
    for path, tensors in files.items():
        with safe_open(path, framework="pt") as f:
            assert set(f.keys()) == {t[0] for t in tensors}, path
            for name, shape, init in tensors:
                sl = f.get_slice(name)
                assert tuple(sl.get_shape()) == tuple(shape) and sl.get_dtype() == "BF16", (path, name)
            # The smallest tensors in full (norms, biases): a wrong offset or byte order would show.
            for name, shape, init in sorted(tensors, key=lambda t: math.prod(t[1]))[:3]:
                want = draw(name, shape, init, seed, device).cpu()
                assert torch.equal(f.get_tensor(name), want), (path, name)


# ---- the small files, from the tiny pair ----

def write_json(path, obj):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, indent=2, ensure_ascii=False)
        f.write("\n")


def copy_source_files(role, dest):
    """generation_config.json and the tokenizer files of the tiny pair's `role` checkpoint (.xz unpacked)."""
    src = SOURCE_PAIR.format(role=role)
    shutil.copy(os.path.join(src, "generation_config.json"), dest)
    with open(os.path.join(src, "golden-links.json")) as f:
        links = json.load(f)
    for name in ("tokenizer.json", "tokenizer_config.json"):
        with lzma.open(os.path.join(RESOURCES, links[name]), "rb") as f, open(os.path.join(dest, name), "wb") as g:
            shutil.copyfileobj(f, g)


def config(role, shape, layers, tied):
    with open(os.path.join(SOURCE_PAIR.format(role=role), "config.json")) as f:
        c = json.load(f)
    c.update(hidden_size=shape["hidden"], intermediate_size=shape["intermediate"], num_hidden_layers=layers,
             num_attention_heads=shape["heads"], num_key_value_heads=shape["kv_heads"], vocab_size=shape["vocab"],
             tie_word_embeddings=tied, layer_types=["full_attention"] * layers, max_window_layers=layers)
    return c


def sidecar(role, d, k):
    """The tiny pair's nla_meta.yaml with d_model and the layer put in (the AR's ar.num_hidden_layers is K too)."""
    with open(os.path.join(SOURCE_PAIR.format(role=role), "nla_meta.yaml"), encoding="utf-8") as f:
        text = f.read()
    swaps = [("d_model: 16\n", f"d_model: {d}\n"), ("  layer_index: 1\n", f"  layer_index: {k}\n")]
    if role == "ar":
        swaps.append(("  num_hidden_layers: 1\n", f"  num_hidden_layers: {k}\n"))
    for old, new in swaps:
        assert text.count(old) == 1, (role, old)
        text = text.replace(old, new)
    return text


def make_checkpoint(role, dest, shape, k, seed, device, max_shard_bytes):
    os.makedirs(dest, exist_ok=True)
    layers = shape["layers"] if role == "av" else k + 1
    tied = shape["tied"] if role == "av" else True
    tensors = decoder_tensors(shape, layers)
    if not tied:
        tensors.append(("lm_head.weight", (shape["vocab"], shape["hidden"]), INIT_STD))
    files = write_weights(dest, tensors, seed, device, max_shard_bytes)
    if role == "ar":
        d = shape["hidden"]
        head = [("weight", (d, d), 1 / math.sqrt(d))]
        files[os.path.join(dest, "value_head.safetensors")] = head
        write_files({os.path.join(dest, "value_head.safetensors"): head}, seed, device)
    write_json(os.path.join(dest, "config.json"), config(role, shape, layers, tied))
    with open(os.path.join(dest, "nla_meta.yaml"), "w", encoding="utf-8") as f:
        f.write(sidecar(role, shape["hidden"], k))
    copy_source_files(role, dest)
    return files


def activations(path, n, d, norm, seed, device):
    """n float32 vectors at norm `norm`: isotropic noise plus a direction they share, a third of the noise's length.

    The shared part gives the eval set a Var(v_nrm) below the isotropic 1/d·scale² (real activations share a mean
    direction); the norm is only the file's realism: the AV rescales every vector to its injection_scale and the
    metrics compare vectors at the AR's mse_scale.
    """
    g = torch.Generator(device=device)
    g.manual_seed(seed + 17)
    mean = torch.randn(d, generator=g, device=device)
    noise = torch.randn(n, d, generator=g, device=device)
    v = mean / mean.norm() / 3 + noise / noise.norm(dim=1, keepdim=True)
    v = v / v.norm(dim=1, keepdim=True) * norm
    np.save(path, np.ascontiguousarray(v.float().cpu().numpy(), dtype="<f4"))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", required=True, choices=sorted(SHAPES))
    ap.add_argument("--out", required=True,
                    help="folder for av/, ar/ and activations.npy (an earlier pair there is replaced)")
    ap.add_argument("--activations", type=int, default=1000, metavar="N", help="vectors in activations.npy")
    ap.add_argument("--layer", type=int, help="the pair's layer K (default: the shape's, 20 for qwen2.5-7b)")
    ap.add_argument("--norm", type=float, default=150.0, help="each activation vector's L2 norm")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--shard-gb", type=float, default=5.0, help="largest weight file, in GB (1e9 bytes)")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = ap.parse_args()
    shape = SHAPES[args.shape]
    k = shape["layer"] if args.layer is None else args.layer
    for bad, message in ((not 0 <= k < shape["layers"],
                          f"--layer {k}: the {args.shape} shape has blocks 0..{shape['layers'] - 1}"),
                         (args.activations < 1, f"--activations {args.activations}: must be >= 1"),
                         (not args.norm > 0, f"--norm {args.norm}: must be > 0"),
                         (not args.shard_gb > 0, f"--shard-gb {args.shard_gb}: must be > 0")):
        if bad:
            print(f"make_shaped_pair: {message}", file=sys.stderr)
            sys.exit(2)
    if os.path.exists(args.out):
        # Replaced only when it is empty or a pair this script began (an interrupted one included).
        if os.listdir(args.out) and not os.path.isfile(os.path.join(args.out, MARKER)):
            print(f"make_shaped_pair: --out {args.out}: exists and is not a pair made here; give a new folder",
                  file=sys.stderr)
            sys.exit(2)
        shutil.rmtree(args.out)
    os.makedirs(args.out)
    open(os.path.join(args.out, MARKER), "w").close()
    max_shard = int(args.shard_gb * 1e9)
    report = {"shape": args.shape, "layer": k, "device": args.device, "seed": args.seed}
    for role in ("av", "ar"):
        started = time.perf_counter()
        files = make_checkpoint(role, os.path.join(args.out, role), shape, k, args.seed, args.device, max_shard)
        written = time.perf_counter() - started
        check_with_safetensors(files, args.seed, args.device)
        size = sum(os.path.getsize(p) for p in files)
        report[role] = {"files": len(files), "bytes": size, "write_s": round(written, 1),
                        "gb_per_s": round(size / 1e9 / written, 2)}
        print(f"{role}: {size / 1e9:.2f} GB in {len(files)} files, written and synced in {written:.1f} s "
              f"({size / 1e9 / written:.2f} GB/s)", file=sys.stderr)
    activations(os.path.join(args.out, "activations.npy"), args.activations, shape["hidden"], args.norm, args.seed,
                args.device)
    report["activations"] = {"n": args.activations, "d": shape["hidden"], "norm": args.norm}
    write_json(os.path.join(args.out, "pair.json"), report)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
