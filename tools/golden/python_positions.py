#!/usr/bin/env python3
"""Golden values for nla.data.PythonRandom and nla.data.PositionSampler, computed by real CPython.

Command (from the repository root, CPython 3.11 or 3.12, standard library only):

    python3 tools/golden/python_positions.py src/test/resources/golden/positions/python_positions.json.xz

The position rule is contract §6 (the reference's stage0_extract._sample_positions):
candidates = positions i >= 50 whose id is not special;
positions = random.Random(sha256(f"{seed}|{doc_id}").digest()).sample(candidates, min(k, len(candidates))).

Everything here is deterministic: the cases are enumerated, not drawn from an unseeded generator.
"""

import hashlib
import json
import lzma
import platform
import random
import sys

MIN_POSITION = 50


def sample_positions(token_ids, n_positions, special_ids, doc_id, seed):
    rng = random.Random(hashlib.sha256(f"{seed}|{doc_id}".encode()).digest())
    candidates = [i for i, tid in enumerate(token_ids) if i >= MIN_POSITION and tid not in special_ids]
    if not candidates:
        return []
    return rng.sample(candidates, k=min(n_positions, len(candidates)))


def set_size(k):
    # Mirrors random.sample's heuristic only to label which algorithm a case exercises.
    import math
    size = 21
    if k > 5:
        size += 4 ** math.ceil(math.log(k * 3, 4))
    return size


def mt_cases():
    seeds = [
        b"",
        b"nla",
        b"\x00\x00\x00\x00\x00\x00\x00\x01",  # leading zero bytes shorten the init_by_array key
        hashlib.sha256(b"42|ultrafineweb:en:100000").digest(),
        bytes(range(256)),
    ]
    cases = []
    for seed in seeds:
        rng = random.Random(seed)
        uint32 = [rng.getrandbits(32) for _ in range(700)]  # past 624: exercises the regeneration
        widths = [0, 1, 5, 12, 31, 32, 33, 40, 63, 64, 65, 100, 257]
        bits = [[w, str(rng.getrandbits(w))] for w in widths]
        below_ns = [1, 2, 3, 7, 50, 85, 86, 1000, 2047, 2048, 2049, 10**9, 2**31 + 5, 2**40 + 3]
        below = [[n, rng._randbelow(n)] for n in below_ns]
        floats = [repr(rng.random()) for _ in range(10)]
        cases.append({"seed_hex": seed.hex(), "uint32": uint32, "getrandbits": bits,
                      "randbelow": below, "random": floats})
    return cases


def sample_cases():
    cases = []
    for n in [1, 2, 5, 6, 20, 21, 22, 40, 84, 85, 86, 100, 149, 150, 170, 277, 278, 1000, 1998, 2048]:
        for k in [0, 1, 5, 6, 10, 12, 17, 22, 40, 64, 85, 100]:
            if k > n:
                continue
            seed = f"sample|{n}|{k}".encode()
            population = list(range(100, 100 + 3 * n, 3))
            result = random.Random(seed).sample(population, k)
            cases.append({"seed_hex": seed.hex(), "n": n, "k": k, "population_start": 100,
                          "population_step": 3, "algorithm": "pool" if n <= set_size(k) else "set",
                          "result": result})
    return cases


def int_seed_cases():
    # The eval-set builder draws rows with random.Random(seed).sample(range(rows), n).
    cases = []
    for seed in [0, 1, 42, 2**32, 2**40 + 7, 12345678901234567890]:
        for rows, n in [(10, 10), (100, 7), (1000, 1000), (5000, 1000), (200000, 30)]:
            cases.append({"seed": str(seed), "rows": rows, "n": n,
                          "result": random.Random(seed).sample(range(rows), n)})
    return cases


def dataset_id_cases():
    # The reference's stage0_extract._dataset_id (the corpus_slice dict's repr is hashed).
    cases = []
    for base_model, layer, corpus, start, length in [
            ("Qwen/Qwen2.5-7B-Instruct", 20, "openbmb/Ultra-FineWeb", 100000, 200),
            ("google/gemma-3-27b-it", 41, "ufw", 0, 1000),
            ("tiny-qwen", 1, "demo", 0, 32)]:
        corpus_slice = {"start": start, "length": length}
        model_tag = base_model.split("/")[-1]
        h = hashlib.sha256(f"{base_model}|{layer}|{corpus}|{corpus_slice}".encode()).hexdigest()[:8]
        cases.append({"base_model": base_model, "layer": layer, "corpus": corpus, "start": start,
                      "length": length, "dataset_id": f"base_{model_tag}_L{layer}_{h}"})
    return cases


def position_cases():
    corpora = [("ultrafineweb", "en"), ("demo", "train"), ("wiki-λ", "validation")]
    seeds = [0, 1, 42, 1234567, -7, 2**40]
    lengths = [10, 50, 51, 52, 55, 60, 70, 100, 135, 136, 200, 512, 2048]
    ks = [1, 3, 5, 6, 10, 20, 32]
    cases = []
    case = 0
    for corpus, split in corpora:
        for seed in seeds:
            for length in lengths:
                k = ks[case % len(ks)]
                index = 100000 + 37 * case
                doc_id = f"{corpus}:{split}:{index}"
                # Special tokens at a structured set of positions: position 0 (a BOS), every 97th
                # position, and a run near the end, so the candidate lists have gaps.
                specials = sorted({0} | {p for p in range(0, length, 97)}
                                  | {p for p in range(max(0, length - 3), length)})
                special_id = 7
                token_ids = [special_id if i in specials else 1000 + (i % 500) for i in range(length)]
                positions = sample_positions(token_ids, k, {special_id}, doc_id, seed)
                n_candidates = sum(1 for i in range(MIN_POSITION, length) if i not in specials)
                cases.append({"doc_id": doc_id, "seed": seed, "k": k, "length": length,
                              "special_positions": specials, "n_candidates": n_candidates,
                              "algorithm": ("none" if n_candidates == 0 else
                                            "pool" if n_candidates <= set_size(min(k, n_candidates)) else "set"),
                              "positions": positions})
                case += 1
    return cases


def main():
    out = sys.argv[1]
    data = {
        "python": platform.python_version(),
        "mt": mt_cases(),
        "sample": sample_cases(),
        "positions": position_cases(),
        "int_seed_sample": int_seed_cases(),
        "dataset_id": dataset_id_cases(),
    }
    algos = {c["algorithm"] for c in data["positions"]} | {c["algorithm"] for c in data["sample"]}
    assert {"pool", "set", "none"} <= algos, algos
    with lzma.open(out, "wt", encoding="utf-8") as f:
        json.dump(data, f, separators=(",", ":"))
    print(f"wrote {out}: {len(data['mt'])} mt, {len(data['sample'])} sample, "
          f"{len(data['positions'])} position cases (python {data['python']})")


if __name__ == "__main__":
    main()
