#!/usr/bin/env python3
"""Parquet interop fixtures written by real pyarrow, in the exact activation schema of NLA-CONTRACT §6.

Run from the repository root with pyarrow + numpy (the GPU machine has them; so does a local venv):

    python3 tools/golden/make_parquet.py --out src/test/resources/golden/parquet

Writes (d = 16, 12 rows):
  fixed.parquet      activation_vector fixed_size_list<float32>[16]; snappy; row groups of 5 rows (5, 5, 2)
  variable.parquet   the same rows with activation_vector list<float32> (variable-length list); zstd; 1 row group
  *.parquet.nla_meta.yaml   the dataset sidecars (kind: nla_dataset)
  expected.json      every row's values (vectors as float32 values written as JSON numbers that round-trip),
                     the pyarrow schema strings and the pyarrow version
"""

import argparse
import json
import os

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

D = 16
N = 12
TEXTS = [
    "The quick brown fox",
    "Storm's coming, it's late — “quotes” and ‘singles’",
    "東京は日本の首都です。",
    "emoji 🙂👍🏽 and ㈎ ㈜",
    "",
    "tabs\tand\nnewlines",
]


def rows():
    rng = np.random.default_rng(20261124)
    vectors = rng.standard_normal((N, D)).astype(np.float32) * 10
    vectors[3, 5] = np.float32(-0.0)
    vectors[4, 0] = np.float32(3.4028235e38)
    vectors[4, 1] = np.float32(1.4e-45)
    docs = [100000 + i // 3 for i in range(N)]
    return {
        "n_raw_tokens": [int(51 + 7 * i) for i in range(N)],
        "detokenized_text_truncated": [TEXTS[i % len(TEXTS)] for i in range(N)],
        "activation_vector": vectors,
        "activation_layer": [20] * N,
        "doc_id": [f"ultrafineweb:en:{d}" for d in docs],
    }


def table(data, fixed):
    vec_type = pa.list_(pa.float32(), D) if fixed else pa.list_(pa.float32())
    flat = pa.array(data["activation_vector"].reshape(-1), type=pa.float32())
    if fixed:
        vectors = pa.FixedSizeListArray.from_arrays(flat, D)
    else:
        offsets = pa.array(np.arange(0, (N + 1) * D, D, dtype=np.int32))
        vectors = pa.ListArray.from_arrays(offsets, flat)
    schema = pa.schema([
        ("n_raw_tokens", pa.int64()),
        ("detokenized_text_truncated", pa.string()),
        ("activation_vector", vec_type),
        ("activation_layer", pa.int64()),
        ("doc_id", pa.string()),
    ])
    return pa.Table.from_arrays([
        pa.array(data["n_raw_tokens"], pa.int64()),
        pa.array(data["detokenized_text_truncated"], pa.string()),
        vectors,
        pa.array(data["activation_layer"], pa.int64()),
        pa.array(data["doc_id"], pa.string()),
    ], schema=schema)


def sidecar(path, n):
    text = (
        "kind: nla_dataset\n"
        "dataset_id: golden-interop\n"
        "stage: activations\n"
        f"row_count: {n}\n"
        "created_by: tools/golden/make_parquet.py (pyarrow " + pa.__version__ + ")\n"
        "extraction:\n"
        "  base_model: golden/models/qwen2\n"
        f"  d_model: {D}\n"
        "  layer_index: 20\n"
        "  norm: none\n"
        "  corpus: ultrafineweb\n"
        "  corpus_slice: {start: 100000, length: 4}\n"
        "  positions_per_doc: 3\n"
    )
    with open(path + ".nla_meta.yaml", "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    data = rows()
    fixed = table(data, True)
    variable = table(data, False)
    fixed_path = os.path.join(args.out, "fixed.parquet")
    variable_path = os.path.join(args.out, "variable.parquet")
    pq.write_table(fixed, fixed_path, compression="snappy", row_group_size=5)
    pq.write_table(variable, variable_path, compression="zstd")
    sidecar(fixed_path, N)
    sidecar(variable_path, N)
    for p in (fixed_path, variable_path):
        back = pq.read_table(p)
        assert back.equals(fixed if p == fixed_path else variable)
    expected = {
        "pyarrow_version": pa.__version__,
        "d": D,
        "row_count": N,
        "fixed_schema": str(fixed.schema),
        "variable_schema": str(variable.schema),
        "fixed_row_groups": pq.ParquetFile(fixed_path).num_row_groups,
        "rows": [
            {
                "n_raw_tokens": data["n_raw_tokens"][i],
                "detokenized_text_truncated": data["detokenized_text_truncated"][i],
                "activation_vector": [float(x) for x in data["activation_vector"][i]],
                "activation_layer": data["activation_layer"][i],
                "doc_id": data["doc_id"][i],
            }
            for i in range(N)
        ],
    }
    with open(os.path.join(args.out, "expected.json"), "w", encoding="utf-8") as f:
        json.dump(expected, f, ensure_ascii=False, indent=1)
        f.write("\n")
    print(expected["fixed_schema"])
    print(expected["variable_schema"])


if __name__ == "__main__":
    main()
