#!/usr/bin/env bash
# Copy the golden scripts and the (xz-compressed) tokenizer files into /work/main/.device/golden/ (git-ignored
# there), which the device `run` tool carries to the GPU machine. Run locally from the repository root:
#     tools/golden/stage_device.sh [/work/main/.device/golden]
set -euo pipefail
DEST=${1:-/work/main/.device/golden}
RES=src/test/resources
rm -rf "$DEST"
mkdir -p "$DEST/tools/golden" "$DEST/tok"
cp tools/golden/*.py tools/golden/*.sh "$DEST/tools/golden/"
for fam in qwen2.5 gemma3 llama3; do
  mkdir -p "$DEST/tok/$fam"
  cp "$RES/tokenizers/$fam/tokenizer.json.xz" "$DEST/tok/$fam/"
  cp "$RES/golden/tokenizers/$fam/tokenizer_config.json.xz" "$DEST/tok/$fam/"
done
# The committed golden models + tokenizers, in their repository layout (make_nla.py assembles AVs from them).
mkdir -p "$DEST/res/golden"
cp -r "$RES/tokenizers" "$DEST/res/"
cp -r "$RES/golden/models" "$RES/golden/tokenizers" "$DEST/res/golden/"
du -sh "$DEST"
