# Sourced by ./nla and ./test: sets NLA_JAVA_HOME to a JDK >= 25 or explains what to install.
nla_java_major() { "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1; }
nla_find_java() {
  local candidates=()
  [ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME")
  candidates+=(/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25* /usr/lib/jvm/java-25* /usr/lib/jvm/jdk-25*
               /opt/java/openjdk /Library/Java/JavaVirtualMachines/*/Contents/Home "$HOME"/.sdkman/candidates/java/*)
  local java_on_path
  java_on_path=$(command -v java 2>/dev/null) && candidates+=("$(dirname "$(dirname "$(readlink -f "$java_on_path")")")")
  local c major
  for c in "${candidates[@]}"; do
    [ -x "$c/bin/java" ] || continue
    major=$(nla_java_major "$c")
    if [ -n "$major" ] && [ "$major" -ge 25 ]; then NLA_JAVA_HOME="$c"; return 0; fi
  done
  echo "nla: needs a JDK 25 or newer (found none in JAVA_HOME, /usr/lib/jvm or on PATH)." >&2
  echo "nla: install one, e.g. 'apt install temurin-25-jdk' or from https://adoptium.net, then set JAVA_HOME." >&2
  return 1
}
