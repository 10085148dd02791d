#!/usr/bin/env bash
# Stages what tools/bench/device_bench.sh needs on the GPU machine into .device/bench (git-ignored):
# a jlink'd Java runtime (that machine has no Java), the runtime jars the bench uses and the native AMX kernels.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
. "$root/scripts/find-java.sh"; nla_find_java
stage="$root/.device/bench"; rm -rf "$stage"; mkdir -p "$stage/lib"
(cd "$root" && JAVA_HOME="$NLA_JAVA_HOME" mvn -q -B -o -DskipTests package)
tmp=$(mktemp -d)
"$NLA_JAVA_HOME/bin/jlink" --add-modules java.base,jdk.incubator.vector,java.logging,java.sql,java.management,jdk.management,jdk.unsupported,java.xml,java.naming,jdk.jfr \
  --strip-debug --no-man-pages --no-header-files --compress=zip-9 --output "$tmp/jre" 2>/dev/null
tar czf "$stage/jre.tar.gz" -C "$tmp" jre
cp "$root/target/nla.jar" "$root"/target/lib/{picocli,jackson,snakeyaml}*.jar "$stage/lib/"
# Found beside the jar as native/libnla_amx.so (nla --bf16); absent when this machine could not build it.
if [ -f "$root/target/native/libnla_amx.so" ]; then mkdir -p "$stage/lib/native"; cp "$root/target/native/libnla_amx.so" "$stage/lib/native/"; fi
du -sh "$stage"
