#!/usr/bin/env bash
# The CUDA kernels under compute-sanitizer: memcheck (out-of-bounds and misaligned accesses, API errors), then
# racecheck (shared-memory hazards, which the attention's warp merge and staged q could have), over the GPU suite's
# operation tests that reach them. Staged by tools/gpu/stage.sh; run on the GPU machine as
#   bash tools/gpu/sanitize.sh [CudaBackendGpuTest METHOD...]
set -uo pipefail
stage=.device/gpu
[ -x /tmp/nla-jre/jre/bin/java ] || { mkdir -p /tmp/nla-jre && tar xJf "$stage/jre.tar.xz" -C /tmp/nla-jre; }
sanitizer=$(command -v compute-sanitizer || ls /usr/local/cuda*/bin/compute-sanitizer 2>/dev/null | head -1)
[ -n "$sanitizer" ] || { echo "sanitize: no compute-sanitizer on this machine" >&2; exit 2; }
classes="$stage/test-classes"
cp -r src/test/resources/. "$classes/"
methods=("$@")
[ ${#methods[@]} -gt 0 ] || methods=(oneKeyAtATimeAttentionMatchesTheCpu pagedAttentionMatchesTheCpuThroughPrefillDecodeAndSharedPrefixes
  attentionMatchesTheCpuWhereManySequencesFillTheGpu productsWithBiasMatchTheCpuOnBf16Inputs
  normsMatchTheCpu)
selects=()
for m in "${methods[@]}"; do selects+=(--select-method "nla.backend.cuda.CudaBackendGpuTest#$m"); done
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
rc=0
for tool in memcheck racecheck; do
  echo "== compute-sanitizer --tool $tool: ${methods[*]}"
  "$sanitizer" --tool "$tool" --target-processes all --error-exitcode 3 --print-limit 20 \
    /tmp/nla-jre/jre/bin/java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g -Xss4m \
    -cp "$classes:$stage/lib/*:$stage/junit-console.jar" org.junit.platform.console.ConsoleLauncher execute \
    --disable-banner --details=summary "${selects[@]}" 2>&1 | grep -v 'Using incubator modules' | tail -30
  status=${PIPESTATUS[0]}
  echo "$tool: exit $status"
  [ "$status" = 0 ] || rc=$status
done
exit "$rc"
