#!/usr/bin/env bash
# One device call that does what a GPU lease is for, most needed first, within the device tool's 10 minutes: the
# parity suite (tools/gpu/parity.sh), the README's throughput table (tools/bench/gpu_table.sh: nla and transformers on
# the same GPU for the three shapes), then, with the time left, the kernel tests under compute-sanitizer
# (tools/gpu/sanitize.sh). One call instead of three, because a machine's start is the scarce part of a lease.
# Staged by tools/gpu/stage.sh (tools/gpu/aside.sh keeps the tree that travels under 64 MiB); run there as
#   bash tools/gpu/session.sh
# Logs and results go to $OUT as they are written, so a call cut short keeps what was done. NLA_SESSION_SECONDS
# (default 590) is the time the call has. All of $OUT comes back as $OUT/session.tar.gz.
set -uo pipefail
export NLA_STAMP=${NLA_STAMP:-$(date -u +%Y%m%d-%H%M)}
budget=${NLA_SESSION_SECONDS:-590}
SECONDS=0
timeout 200 bash tools/gpu/parity.sh >"$OUT/parity.log" 2>&1
tail -14 "$OUT/parity.log"
echo "== parity suite done at ${SECONDS}s; the table"
timeout $((budget - SECONDS)) bash tools/bench/gpu_table.sh 2>&1 | tee "$OUT/table.log" | tail -32
echo "== table done at ${SECONDS}s"
left=$((budget - SECONDS))
if [ "$left" -gt 90 ]; then
  timeout "$left" bash tools/gpu/sanitize.sh >"$OUT/sanitize.log" 2>&1
  echo "sanitize: exit $? at ${SECONDS}s"
  grep -E "ERROR SUMMARY|RACECHECK SUMMARY|Race reported|: exit" "$OUT/sanitize.log" | head -8
else
  echo "sanitize: left out, ${left}s left"
fi
# The device tool brings back at most 8 files: the call's logs and results come back as one archive.
(cd "$OUT" && files=$(ls | grep -v '^session\.tar\.gz$') && tar czf session.tar.gz --remove-files $files)
