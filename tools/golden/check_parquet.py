#!/usr/bin/env python3
"""Check that a parquet file written by nla has exactly the activation schema of NLA-CONTRACT §6, read with
real pyarrow, and that its dataset sidecar agrees with it.

    python3 tools/golden/check_parquet.py FILE.parquet [--d D] [--rows N] [--allow-list] [--expect expected.json]

Asserts: columns exactly n_raw_tokens int64, detokenized_text_truncated string,
activation_vector fixed_size_list<float32>[d] (a variable list<float32> only with --allow-list),
activation_layer int64, doc_id string, in that order; no nulls; every vector has d finite-or-not float32 values;
n_raw_tokens >= 1; FILE.parquet.nla_meta.yaml exists with kind: nla_dataset, row_count = rows and
extraction.d_model = d. With --expect, every row equals the JSON rows of an expected.json (as written by
make_parquet.py; vectors compared as float32 bit patterns). Prints a JSON summary; exits 1 on the first failure.
"""

import argparse
import json
import os
import sys

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

EXPECTED_COLUMNS = ["n_raw_tokens", "detokenized_text_truncated", "activation_vector", "activation_layer", "doc_id"]


def fail(msg):
    print(f"check_parquet: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def simple_yaml(path):
    """Enough YAML for the flat dataset sidecar (uses PyYAML when present)."""
    try:
        import yaml
        with open(path, encoding="utf-8") as f:
            return yaml.safe_load(f)
    except ImportError:
        out, section = {}, None
        for line in open(path, encoding="utf-8"):
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            key, _, value = line.strip().partition(":")
            value = value.strip().strip('"')
            if line.startswith("  ") and section is not None:
                out[section][key] = value
            elif value == "":
                section = key
                out[key] = {}
            else:
                section = None
                out[key] = value
        return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--d", type=int)
    ap.add_argument("--rows", type=int)
    ap.add_argument("--allow-list", action="store_true")
    ap.add_argument("--expect")
    args = ap.parse_args()

    pf = pq.ParquetFile(args.file)
    schema = pf.schema_arrow
    names = [f.name for f in schema]
    if names != EXPECTED_COLUMNS:
        fail(f"columns {names} != {EXPECTED_COLUMNS}")
    types = {f.name: f.type for f in schema}
    for name, t in (("n_raw_tokens", pa.int64()), ("activation_layer", pa.int64()),
                    ("detokenized_text_truncated", pa.string()), ("doc_id", pa.string())):
        if types[name] != t:
            fail(f"{name} has type {types[name]}, expected {t}")
    vt = types["activation_vector"]
    if pa.types.is_fixed_size_list(vt):
        d = vt.list_size
    elif pa.types.is_list(vt) and args.allow_list:
        d = None
    else:
        fail(f"activation_vector has type {vt}, expected fixed_size_list<float32>[d]")
    if vt.value_type != pa.float32():
        fail(f"activation_vector items are {vt.value_type}, expected float32")

    table = pf.read()
    n = table.num_rows
    for name in EXPECTED_COLUMNS:
        if table.column(name).null_count:
            fail(f"{name} has {table.column(name).null_count} nulls")
    lengths = pc.list_value_length(table.column("activation_vector")).to_numpy(zero_copy_only=False)
    if d is None:
        d = int(lengths[0]) if n else 0
    if n and not (lengths == d).all():
        fail(f"activation_vector lengths vary: {sorted(set(lengths.tolist()))}")
    if args.d is not None and d != args.d:
        fail(f"d = {d}, expected {args.d}")
    if args.rows is not None and n != args.rows:
        fail(f"{n} rows, expected {args.rows}")
    if n and table.column("n_raw_tokens").to_numpy().min() < 1:
        fail("n_raw_tokens < 1")

    sidecar_path = args.file + ".nla_meta.yaml"
    if not os.path.exists(sidecar_path):
        fail(f"missing sidecar {sidecar_path}")
    meta = simple_yaml(sidecar_path)
    if meta.get("kind") != "nla_dataset":
        fail(f"sidecar kind = {meta.get('kind')!r}")
    if int(meta.get("row_count", -1)) != n:
        fail(f"sidecar row_count {meta.get('row_count')} != {n} rows")
    if int(meta.get("extraction", {}).get("d_model", -1)) != d:
        fail(f"sidecar extraction.d_model {meta.get('extraction', {}).get('d_model')} != {d}")

    if args.expect:
        expected = json.load(open(args.expect, encoding="utf-8"))["rows"]
        if len(expected) != n:
            fail(f"{n} rows, expected.json has {len(expected)}")
        got = table.to_pylist()
        for i, (g, e) in enumerate(zip(got, expected)):
            for k in EXPECTED_COLUMNS:
                if k == "activation_vector":
                    a = np.asarray(g[k], dtype=np.float32).view(np.uint32)
                    b = np.asarray(e[k], dtype=np.float32).view(np.uint32)
                    if not np.array_equal(a, b):
                        fail(f"row {i}: activation_vector differs")
                elif g[k] != e[k]:
                    fail(f"row {i}: {k} = {g[k]!r}, expected {e[k]!r}")

    print(json.dumps({"ok": True, "file": args.file, "rows": n, "d": d, "vector_type": str(vt),
                      "row_groups": pf.num_row_groups, "pyarrow": pa.__version__}))


if __name__ == "__main__":
    main()
