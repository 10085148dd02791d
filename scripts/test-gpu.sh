#!/usr/bin/env bash
# The GPU parity suite (JUnit tag "gpu"): every CUDA operation against the CPU engine and whole models against
# transformers in bf16 on CUDA. Run on a GPU machine as `./test --gpu`. With .device/gpu staged by
# tools/gpu/stage.sh it needs no Java or Maven there (the staged runtime and jars); otherwise it builds with Maven.
# The log, headed by date, GPU and driver, goes to bench/results/gpu/ (and to $OUT when that is set).
set -uo pipefail
filters=(); left_out=""
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
stage=.device/gpu
if [ -f "$stage/jre.tar.xz" ]; then
  mkdir -p /tmp/nla-jre && tar xJf "$stage/jre.tar.xz" -C /tmp/nla-jre
  java=/tmp/nla-jre/jre/bin/java
  classes="$stage/test-classes"
  cp -r src/test/resources/. "$classes/"
  cp="$classes:$stage/lib/*"
  console="$stage/junit-console.jar"
  # The default stage (tools/gpu/stage.sh without --full) lacks what the commands of the end-to-end tests need
  # (DuckDB, Arrow, the charts, AWT); those are left out, saying so. tools/gpu/demo.sh assembles the full stage.
  if ! ls "$stage"/lib/duckdb_jdbc-*.jar >/dev/null 2>&1; then
    left_out="the end-to-end tests (tag gpu-end-to-end: StudiesGpuTest, CommandsGpuTest, DeviceMemoryGpuTest) need the full stage:"
    left_out="$left_out tools/gpu/stage.sh --full, then tools/gpu/demo.sh keep / run"
    filters=(--exclude-tag gpu-end-to-end)
  fi
else
  . scripts/find-java.sh; nla_find_java || exit 2
  JAVA_HOME="$NLA_JAVA_HOME" mvn -q -B -DskipTests package test-compile || exit 2
  java="$NLA_JAVA_HOME/bin/java"
  classes=target/test-classes
  cp="$classes:target/nla.jar:target/lib/*"
  console=$(find ~/.m2/repository/org/junit/platform/junit-platform-console-standalone -name '*.jar' | sort | tail -1)
  [ -n "$console" ] || { echo "test --gpu: JUnit's console launcher is missing; run tools/gpu/stage.sh" >&2; exit 2; }
fi
mkdir -p bench/results/gpu
gpu=$(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null | head -1)
log="bench/results/gpu/test-gpu-$(date -u +%Y%m%d-%H%M%S).log"
{
  echo "# ./test --gpu"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "gpu, driver: ${gpu:-none found by nvidia-smi}"
  [ -n "$left_out" ] && echo "left out: $left_out"
} >"$log"
[ -n "$left_out" ] && echo "test --gpu: left out: $left_out" >&2
"$java" --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g -Xss4m \
  -cp "$cp:$console" org.junit.platform.console.ConsoleLauncher execute --disable-banner --details=tree \
  --scan-class-path "$classes" --include-tag gpu "${filters[@]}" "$@" 2>&1 | grep --line-buffered -v 'WARNING: Using incubator modules' | tee -a "$log"
rc=${PIPESTATUS[0]}
echo "result: $([ "$rc" = 0 ] && echo passed || echo "failed (exit $rc)")" | tee -a "$log"
[ -n "${OUT:-}" ] && cp "$log" "$OUT/"
exit "$rc"
