#!/usr/bin/env bash
# `nla --device cuda demo` on a GPU machine without Java, in two device calls made back to back (the machine stays
# warm between them): the runtime and the extra jars together do not fit one transfer beside the tree.
#   here:            tools/gpu/stage.sh --full          (.device/gpu and .device/gpu-extra)
#   first call:      carry .device/gpu        ->  bash tools/gpu/demo.sh keep
#   second call:     carry .device/gpu-extra  ->  bash tools/gpu/demo.sh run [&& bash tools/gpu/short.sh]
# `run` puts both halves back together as .device/gpu (so the GPU suite and the benchmarks can follow in the same
# call), then runs the demo; its run folder comes back under $OUT/demo, its log as $OUT/demo.log.
set -uo pipefail
keep=/tmp/nla-stage
case "${1:-}" in
  keep)
    rm -rf "$keep" && mkdir -p "$keep" && cp -r .device/gpu/. "$keep/"
    mkdir -p /tmp/nla-jre && tar xJf "$keep/jre.tar.xz" -C /tmp/nla-jre
    echo "demo: runtime kept in $keep; now carry .device/gpu-extra and run: bash tools/gpu/demo.sh run" ;;
  run)
    [ -x /tmp/nla-jre/jre/bin/java ] || { echo "demo: no kept runtime (the machine went cold): run 'keep' first" >&2; exit 2; }
    [ -d .device/gpu-extra/lib ] || { echo "demo: carry .device/gpu-extra (tools/gpu/stage.sh --full)" >&2; exit 2; }
    mkdir -p .device/gpu && cp -r "$keep/." .device/gpu/ && cp -r .device/gpu-extra/. .device/gpu/
    nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
    start=$(date +%s)
    /tmp/nla-jre/jre/bin/java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx32g \
      -cp ".device/gpu/lib/*" nla.cli.Main --device cuda demo --out "${OUT:-/tmp}/demo" \
      2>&1 | tee "${OUT:-/tmp}/demo.log" | tail -25
    echo "demo: $(( $(date +%s) - start )) s, exit ${PIPESTATUS[0]}" ;;
  *) echo "usage: tools/gpu/demo.sh keep|run" >&2; exit 2 ;;
esac
