#!/usr/bin/env python3
"""Activation parquet interop with real pyarrow, both directions (contract §6).

Command (any machine with pyarrow and numpy, PyYAML for the sidecar checks; we ran it on the GPU machine, pyarrow as installed there):

    python3 tools/golden/pyarrow_interop.py IN_DIR OUT_DIR

1. Ours → pyarrow. IN_DIR holds parquet files written by nla (nla.data.ActivationParquet), each with
   FILE.expected.jsonl (the rows as `nla activations FILE --json --vectors` prints them). For each file this
   checks that pyarrow reads the schema as exactly the reference's
   (n_raw_tokens int64, detokenized_text_truncated string, activation_vector fixed_size_list<float32>[d],
   activation_layer int64, doc_id string), that every value equals the expected one (vectors as float32, bit for
   bit), that the reference's own reader idiom works
   (col.combine_chunks().values.to_numpy().reshape(n, d)), and that the sidecar, if any, passes the reference's
   deserialize_sidecar checks (kind, schema_version, the NLAExtractionMeta keys).
2. pyarrow → ours. Writes to OUT_DIR, with the reference's stage-0 writer (pq.ParquetWriter, one write_table per
   chunk) and schema: pyarrow_fixed.parquet (fixed_size_list<float32>[8]) and pyarrow_list.parquet (a legacy
   variable list<float32>), a sidecar for the first, and pyarrow_expected.json with the rows, for nla's tests.
Exits non-zero on the first mismatch; prints what it checked.
"""

import json
import math
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

try:
    import yaml
except ImportError:  # the sidecar checks need it; everything else does not
    yaml = None

EXTRACTION_KEYS = {"base_model", "d_model", "layer_index", "norm", "corpus", "corpus_slice", "positions_per_doc"}


def reference_schema(d):
    # The reference's stage0_extract._schema.
    return pa.schema([
        ("n_raw_tokens", pa.int64()),
        ("detokenized_text_truncated", pa.string()),
        ("activation_vector", pa.list_(pa.float32(), d)),
        ("activation_layer", pa.int64()),
        ("doc_id", pa.string()),
    ])


def check_ours(path):
    expected = [json.loads(line) for line in open(path + ".expected.jsonl", encoding="utf-8") if line.strip()]
    schema = pq.read_schema(path)
    print(f"== {os.path.basename(path)}")
    print(f"   pyarrow {pa.__version__} schema: " + "; ".join(f"{f.name}: {f.type}" for f in schema))
    vec = schema.field("activation_vector").type
    assert pa.types.is_fixed_size_list(vec), f"activation_vector is {vec}, not fixed_size_list"
    assert vec.value_type == pa.float32(), vec
    d = vec.list_size
    ref = reference_schema(d)
    for name in ref.names:
        got = schema.field(name).type
        want = ref.field(name).type
        assert got.equals(want, check_metadata=False) or (
            pa.types.is_fixed_size_list(got) and got.list_size == want.list_size and got.value_type == want.value_type
        ), f"{name}: {got} != {want}"
    assert schema.names == ref.names, schema.names
    table = pq.read_table(path)
    n = table.num_rows
    assert n == len(expected), f"{n} rows, expected {len(expected)}"
    if n:
        # The reference's own idiom for loading vectors.
        matrix = table.column("activation_vector").combine_chunks().values.to_numpy().reshape(n, d)
        assert matrix.dtype == np.float32, matrix.dtype
    cols = table.to_pydict()
    for i, row in enumerate(expected):
        for key in ("n_raw_tokens", "activation_layer", "doc_id", "detokenized_text_truncated"):
            assert cols[key][i] == row[key], f"row {i} {key}: {cols[key][i]!r} != {row[key]!r}"
        want = np.array([float(x) for x in row["activation_vector"]], dtype=np.float32)
        assert want.shape == (d,), (want.shape, d)
        got = matrix[i]
        assert np.array_equal(got.view(np.uint32), want.view(np.uint32)), f"row {i} vector differs"
    meta = pq.ParquetFile(path).metadata
    print(f"   rows {n}, d {d}, row groups {meta.num_row_groups}, created_by {meta.created_by!r}: all values equal")
    sidecar = path + ".nla_meta.yaml"
    if os.path.exists(sidecar) and yaml is None:
        print("   PyYAML not installed: sidecar not checked")
    elif os.path.exists(sidecar):
        s = yaml.safe_load(open(sidecar, encoding="utf-8"))
        assert s["kind"] == "nla_dataset", s["kind"]
        assert s["schema_version"] == 1, s["schema_version"]
        assert set(s["extraction"]) == EXTRACTION_KEYS, sorted(s["extraction"])
        assert s["extraction"]["d_model"] == d, (s["extraction"]["d_model"], d)
        assert s["row_count"] == n, (s["row_count"], n)
        print(f"   sidecar {os.path.basename(sidecar)}: reference checks pass (dataset_id {s['dataset_id']})")
    try:
        import pandas  # noqa: F401
        df = table.to_pandas()
        assert len(df) == n
        print(f"   pandas {pandas.__version__}: to_pandas ok")
    except ImportError:
        print("   pandas not installed: skipped to_pandas")


def write_pyarrow(out_dir):
    d = 8
    rows = []
    for i in range(7):
        vector = [float(np.float32(math.sin(i * 31 + j) * (1e30 if j == 3 else 1.0))) for j in range(d)]
        rows.append({
            "n_raw_tokens": 51 + 3 * i,
            "detokenized_text_truncated": f"pyarrow row {i}: «quoted» ㈜ text\nwith a newline",
            "activation_vector": vector,
            "activation_layer": 41,
            "doc_id": f"ufw:en:{100000 + i // 2}",
        })
    fixed = reference_schema(d)
    path = os.path.join(out_dir, "pyarrow_fixed.parquet")
    with pq.ParquetWriter(path, fixed) as writer:  # as stage0_extract: one write_table per chunk
        for chunk in (rows[:4], rows[4:]):
            cols = {k: [r[k] for r in chunk] for k in fixed.names}
            writer.write_table(pa.Table.from_pydict(cols, schema=fixed))
    # The reference's serialize_sidecar layout (written by hand so that PyYAML is not needed).
    sidecar = (
        "dataset_id: base_gemma-3-27b-it_L41_pyarrow0\n"
        "stage: base\n"
        f"row_count: {len(rows)}\n"
        "extraction:\n"
        "  base_model: google/gemma-3-27b-it\n"
        f"  d_model: {d}\n"
        "  layer_index: 41\n"
        "  norm: none\n"
        "  corpus: ufw\n"
        "  corpus_slice:\n"
        "    start: 100000\n"
        "    length: 4\n"
        "  positions_per_doc: 2\n"
        "kind: nla_dataset\n"
        "schema_version: 1\n"
        "keep_debug_metadata: true\n"
        "prompt_templates: {}\n"
        "parent_datasets: []\n"
        "created_at: '2026-11-24T00:00:00+00:00'\n"
        "created_by: tools/golden/pyarrow_interop.py\n"
        "git_commit: ''\n"
    )
    with open(path + ".nla_meta.yaml", "w", encoding="utf-8") as f:
        f.write(sidecar)
    variable = pa.schema([f if f.name != "activation_vector" else pa.field("activation_vector", pa.list_(pa.float32()))
                          for f in fixed])
    cols = {k: [r[k] for r in rows] for k in variable.names}
    pq.write_table(pa.Table.from_pydict(cols, schema=variable), os.path.join(out_dir, "pyarrow_list.parquet"))
    with open(os.path.join(out_dir, "pyarrow_expected.json"), "w", encoding="utf-8") as f:
        json.dump({"pyarrow": pa.__version__, "rows": rows}, f, ensure_ascii=False, indent=1)
    print(f"wrote pyarrow_fixed.parquet ({pq.read_schema(path).field('activation_vector').type}), "
          f"pyarrow_list.parquet, pyarrow_expected.json with pyarrow {pa.__version__}")


def main():
    in_dir, out_dir = sys.argv[1], sys.argv[2]
    os.makedirs(out_dir, exist_ok=True)
    files = sorted(f for f in os.listdir(in_dir) if f.endswith(".parquet"))
    assert files, f"no parquet files in {in_dir}"
    for f in files:
        check_ours(os.path.join(in_dir, f))
    print(f"OK: pyarrow {pa.__version__} reads all {len(files)} nla-written files as the reference schema")
    write_pyarrow(out_dir)


if __name__ == "__main__":
    main()
