#!/usr/bin/env bash
# The device tool carries the tracked tree beside .device/gpu, at most 64 MiB together, and the two have come to about
# that. The sources the staged jars already hold (src/main/java, src/test/java, src/main/resources) and docs/ are not
# needed on the GPU machine:  tools/gpu/aside.sh  moves them into .device/aside (git-ignored, so it stays here) before
# a device call, and  tools/gpu/aside.sh back  returns them after it (git status then shows nothing moved).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
paths=(src/main/java src/test/java src/main/resources docs)
aside=.device/aside
if [ "${1:-}" = "back" ]; then
  for p in "${paths[@]}"; do [ -e "$aside/$p" ] && mkdir -p "$(dirname "$p")" && mv "$aside/$p" "$p"; done
  rm -rf "$aside"
  exit 0
fi
[ ! -e "$aside" ] || { echo "aside: $aside exists; run  tools/gpu/aside.sh back  first" >&2; exit 2; }
for p in "${paths[@]}"; do mkdir -p "$aside/$(dirname "$p")" && mv "$p" "$aside/$p"; done
echo "aside: ${paths[*]} are in $aside until  tools/gpu/aside.sh back"
