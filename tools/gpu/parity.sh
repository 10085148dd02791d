#!/usr/bin/env bash
# One device call: transformers' bf16/fp32-on-CUDA references for the engine models (tools/golden/make_engine_cuda.py)
# and for the tiny NLA pairs (tools/golden/make_nla_cuda.py), each made when its folder is absent (or with
# --regenerate) and placed where the GPU suite reads them, then the GPU suite (./test --gpu). The references come back
# as $OUT/engine-cuda.tar.gz and $OUT/nla-cuda.tar.gz, to unpack into src/test/resources/golden/ here. Staged by
# tools/gpu/stage.sh.
set -uo pipefail
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
if [ ! -d src/test/resources/golden/engine-cuda ] || [ "${1:-}" = "--regenerate" ]; then
  PYTHONUNBUFFERED=1 python3 tools/golden/make_engine_cuda.py --res src/test/resources --out /tmp/gold/engine-cuda \
    2>&1 | grep -v -i warning | tail -12
  tar czf "$OUT/engine-cuda.tar.gz" -C /tmp/gold engine-cuda
  rm -rf src/test/resources/golden/engine-cuda && cp -r /tmp/gold/engine-cuda src/test/resources/golden/
fi
if [ ! -d src/test/resources/golden/nla-cuda ] || [ "${1:-}" = "--regenerate" ]; then
  rm -rf /tmp/gold/nla-cuda
  PYTHONUNBUFFERED=1 python3 tools/golden/make_nla_cuda.py --res src/test/resources --out /tmp/gold/nla-cuda \
    2>&1 | grep -v -i warning | tail -12
  if [ "${PIPESTATUS[0]}" = 0 ]; then
    tar czf "$OUT/nla-cuda.tar.gz" -C /tmp/gold nla-cuda
    rm -rf src/test/resources/golden/nla-cuda && cp -r /tmp/gold/nla-cuda src/test/resources/golden/
  else
    echo "parity: make_nla_cuda.py failed (above); the suite runs without its references" >&2
  fi
fi
./test --gpu 2>&1 | grep -v -E '^\s*[│├└].*✔' | tail -80
