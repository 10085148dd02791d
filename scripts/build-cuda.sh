#!/usr/bin/env bash
# Compiles the CUDA backend's kernels (src/main/cuda) into DIR (Maven runs it with target/classes/nla/cuda): cubins
# for sm_80 (A100) and sm_90 (H100/H200) and PTX for newer GPUs, which the driver compiles at first load. The
# source is packed too: without nvcc the build goes on, and the GPU backend compiles the source with NVRTC.
set -uo pipefail
out="${1:?usage: build-cuda.sh DIR}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
src="$root/src/main/cuda/nla_kernels.cu"
mkdir -p "$out"
cp "$src" "$out/"
nvcc="${NVCC:-nvcc}"
if ! command -v "$nvcc" >/dev/null; then
  for c in "${CUDA_HOME:-/nonexistent}/bin/nvcc" /usr/local/cuda/bin/nvcc; do [ -x "$c" ] && nvcc="$c" && break; done
fi
if ! command -v "$nvcc" >/dev/null; then
  echo "nla: no nvcc; only the CUDA kernel source is packed (--device cuda compiles it with NVRTC at first use)" >&2
  exit 0
fi
# Rebuild only when the source changed (nvcc takes tens of seconds for three targets).
if [ "$out/nla_kernels.ptx" -nt "$src" ] && [ -f "$out/nla_kernels.sm_80.cubin" ] && [ -f "$out/nla_kernels.sm_90.cubin" ]; then
  exit 0
fi
set -e
for sm in 80 90; do
  "$nvcc" -O3 -std=c++17 -cubin -arch=sm_$sm -o "$out/nla_kernels.sm_$sm.cubin" "$src"
done
"$nvcc" -O3 -std=c++17 -ptx -arch=compute_90 -o "$out/nla_kernels.ptx" "$src"
