#!/usr/bin/env bash
# JMH microbenchmarks of the CPU engine's hot kernels (src/jmh/java, compiled only with -Pjmh).
#   tools/bench/jmh.sh                         # every benchmark, default parameters
#   tools/bench/jmh.sh bf16Product -p tokens=1,32 -p threads=1   # any JMH options after the regex
# Needs JAVA_HOME (JDK 25) and Maven; the first run downloads JMH 1.37 and build-helper.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
mvn -q -B -Pjmh -DskipTests test-compile dependency:build-classpath \
  -Dmdep.includeScope=test -Dmdep.outputFile=target/jmh.classpath
"${JAVA_HOME:?set JAVA_HOME to a JDK 25}/bin/java" --add-modules=jdk.incubator.vector \
  --enable-native-access=ALL-UNNAMED \
  -cp "target/test-classes:target/classes:$(cat target/jmh.classpath)" \
  org.openjdk.jmh.Main "$@"
