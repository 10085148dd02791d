#!/usr/bin/env bash
# `nla --device cuda serve` on a Qwen2.5-7B-shaped random pair, the size of a released one (the released pairs cannot
# travel to the offline GPU machine): the pair made there by tools/gpu/make_shaped_pair.py (its AV doubles as the
# source model), the server started, timed until /health says ready, then Neuronpedia-shaped /explain and /score
# requests and a SIGTERM. Needs the full stage (tools/gpu/demo.sh run assembles it: Jetty travels in the second half).
#   device:  after `bash tools/gpu/demo.sh run` in the same call  ->  bash tools/gpu/serve7b.sh
set -uo pipefail
out=${OUT:-/tmp/serve7b-out}; work=${SERVE7B_WORK:-/tmp/eval7b-pair}; port=${SERVE7B_PORT:-5019}
mkdir -p "$out"
java=/tmp/nla-jre/jre/bin/java
[ -x $java ] && ls .device/gpu/lib/jetty-server-*.jar >/dev/null 2>&1 ||
  { echo "serve7b: the full stage is not assembled (bash tools/gpu/demo.sh keep, then run)" >&2; exit 2; }
if [ ! -f "$work/pair.json" ]; then
  python3 tools/gpu/make_shaped_pair.py --shape qwen2.5-7b --out "$work" --activations 1 > "$out/serve7b-make.log" 2>&1 ||
    { echo "serve7b: making the pair failed (serve7b-make.log)" >&2; exit 1; }
fi
t0=$(date +%s.%N)
$java --add-modules=jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx32g -cp ".device/gpu/lib/*" \
  nla.cli.Main --device cuda serve --base "$work/av" --av "$work/av" --ar "$work/ar" --port "$port" \
  > "$out/serve7b.log" 2>&1 &
pid=$!
for _ in $(seq 240); do
  curl -sf "localhost:$port/health" | grep -q ready && break
  kill -0 $pid 2>/dev/null || { echo "serve7b: the server exited (serve7b.log)" >&2; tail -5 "$out/serve7b.log"; exit 1; }
  sleep 0.5
done
echo "ready after $(python3 -c "import time,sys; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$t0") s (JVM start and three 7B-shaped loads)"
curl -s "localhost:$port/" -H 'accept: application/json' | head -c 600; echo
ask() {  # PATH BODY: the answer's first bytes and its time
  local t; t=$(date +%s.%N)
  curl -s -X POST "localhost:$port$1" -H 'content-type: application/json' -d "$2" > "$out/serve7b$(echo "$1" | tr / -).json"
  echo "$1: $(python3 -c "import time,sys; print(f'{time.time() - float(sys.argv[1]):.2f}')" "$t") s: $(head -c 300 "$out/serve7b$(echo "$1" | tr / -).json")"
}
ask /explain '{"text": "The quick brown fox jumps over the lazy dog.", "temperature": 0, "max_new_tokens": 32}'
ask /tokenize '{"text": "The quick brown fox jumps over the lazy dog."}'
curl -s "localhost:$port/metrics" | grep -E '^nla_(ready|requests|generated|decodes_completed|device)' | head -8
kill -TERM $pid; wait $pid; echo "serve7b: server exit $? after SIGTERM"
tail -3 "$out/serve7b.log"
