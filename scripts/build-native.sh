#!/usr/bin/env bash
# Builds the optional native kernels (src/main/c) into DIR (Maven runs it with target/native). Without a C
# compiler that knows AMX the build goes on: the opt-in bf16 mode then reports itself unavailable and the
# engine keeps its Java kernels.
set -uo pipefail
out="${1:?usage: build-native.sh DIR}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
mkdir -p "$out"
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null; then
  echo "nla: no C compiler ($cc); the opt-in AMX bf16 mode will be unavailable" >&2
  exit 0
fi
if ! "$cc" -O2 -fPIC -shared -mamx-tile -mamx-bf16 -mavx512f -o "$out/libnla_amx.so" "$root/src/main/c/nla_amx.c"; then
  echo "nla: $cc could not build src/main/c/nla_amx.c; the opt-in AMX bf16 mode will be unavailable" >&2
fi
exit 0
