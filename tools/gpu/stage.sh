#!/usr/bin/env bash
# Stages what `./test --gpu` and the GPU benchmarks need on a GPU machine that has no Java into .device/gpu
# (git-ignored; the device tool carries it): a jlink'd Java 25 runtime, nla's jar with its CUDA kernels, the runtime
# jars (native libraries for other platforms stripped, to stay small), the compiled tests and JUnit's console
# launcher. Run here from the repository root:  tools/gpu/stage.sh [--full]
# The default stages what the GPU tests and `nla bench` need. --full also makes what every other command needs
# (DuckDB, the charts; AWT in the runtime) for `nla --device cuda demo`: the extra jars go to .device/gpu-extra,
# since both together do not fit one transfer beside the tree. tools/gpu/demo.sh says how the two travel.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
[ ! -e "$root/.device/aside" ] || { echo "stage: the sources are in .device/aside; run  tools/gpu/aside.sh back  first" >&2; exit 2; }
. "$root/scripts/find-java.sh"; nla_find_java
full=0; [ "${1:-}" = "--full" ] && full=1
stage="$root/.device/gpu"; rm -rf "$stage"; mkdir -p "$stage/lib" "$stage/test-classes"
extra="$root/.device/gpu-extra"; rm -rf "$extra"
# With --full, what goes to .device/gpu-extra: the jars only other commands need, the server's, and the tests.
tests="$stage"
if [ $full = 1 ]; then mkdir -p "$extra/lib" "$extra/test-classes"; tests="$extra"; fi
cd "$root"
JAVA_HOME="$NLA_JAVA_HOME" mvn -q -B -o -DskipTests package test-compile 2>&1 | grep -v 'WARNING' || true
[ -f target/classes/nla/cuda/nla_kernels.sm_90.cubin ] || { echo "stage: the CUDA kernels were not built (nvcc?)" >&2; exit 2; }
tmp=$(mktemp -d)
modules=java.base,jdk.incubator.vector,java.logging,java.sql,java.management,jdk.management,jdk.unsupported,java.xml,java.naming
[ $full = 1 ] && modules="$modules,java.desktop"
"$NLA_JAVA_HOME/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files --output "$tmp/jre" 2>/dev/null
tar cJf "$stage/jre.tar.xz" -C "$tmp" jre
rm -rf "$tmp"
cp target/nla.jar "$stage/lib/"
for j in target/lib/*.jar; do
  case "$(basename "$j")" in
    duckdb_jdbc-*) [ $full = 1 ] || continue
      cp "$j" "$extra/lib/"; zip -q -d "$extra/lib/$(basename "$j")" 'libduckdb_java.so_windows*' 'libduckdb_java.so_linux_arm64' 'libduckdb_java.so_osx*' ;;
    arrow-*|flatbuffers-*|ejml-*|jfreechart-*|org.jfree.svg-*|commons-*|gson-*|error_prone*) [ $full = 1 ] || continue
      cp "$j" "$extra/lib/" ;;
    jetty-*) if [ $full = 1 ]; then cp "$j" "$extra/lib/"; else cp "$j" "$stage/lib/"; fi ;;
    tokenizers-*)
      cp "$j" "$stage/lib/"; zip -q -d "$stage/lib/$(basename "$j")" 'native/lib/osx*' 'native/lib/win*' 'native/lib/linux-aarch64*' ;;
    jna-*)
      cp "$j" "$stage/lib/"
      zip -q -d "$stage/lib/$(basename "$j")" $(unzip -Z1 "$j" | grep -E '^com/sun/jna/[^/]+/.*\.(so|dll|dylib|a|jnilib)$' | grep -v '^com/sun/jna/linux-x86-64/') ;;
    *) cp "$j" "$stage/lib/" ;;
  esac
done
console=$(find ~/.m2/repository/org/junit/platform/junit-platform-console-standalone -name 'junit-platform-console-standalone-1.14.4.jar' | head -1)
if [ -z "$console" ]; then
  JAVA_HOME="$NLA_JAVA_HOME" mvn -q -B dependency:get -Dartifact=org.junit.platform:junit-platform-console-standalone:1.14.4 >/dev/null
  console=$(find ~/.m2/repository/org/junit/platform/junit-platform-console-standalone -name '*-1.14.4.jar' | head -1)
fi
cp "$console" "$tests/junit-console.jar"
# Test classes only: the test resources travel with the repository and are copied beside them there.
(cd target/test-classes && find . -name '*.class' -print0 | tar cf - --null -T -) | tar xf - -C "$tests/test-classes"
du -sh "$stage"
if [ $full = 1 ]; then du -sh "$extra"; fi
