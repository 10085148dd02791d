#!/usr/bin/env bash
# Makes room on the GPU machine's disk for SHAPE's random model:  bash tools/bench/room_for.sh SHAPE
# The 64 GB disk holds the 27B shape's 54 GB model or the smaller ones, not both: a shape whose random model is not
# made yet takes the room of the others when under 60 GB are free (each is remade in a minute or two).
set -uo pipefail
shape=$1
models="${XDG_CACHE_HOME:-$HOME/.cache}/nla/bench"
if [ ! -d "$models/$shape" ] && [ -d "$models" ] && [ "$(df -P -k "$models" | awk 'NR == 2 {print $4}')" -lt 62914560 ]; then
  for other in "$models"/*/; do
    [ -d "$other" ] && echo "room_for: removing $(basename "$other")'s random model to make room for $shape" && rm -rf "$other"
  done
fi
exit 0
