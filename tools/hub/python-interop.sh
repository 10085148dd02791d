#!/usr/bin/env bash
# Cross-checks our Hub cache against Python's huggingface_hub, both ways, with no network:
#   1. huggingface_hub (hf_hub_download) downloads a fake repo from the test suite's loopback fake Hub;
#   2. nla downloads the same repo into a second cache; the two trees (names, symlink targets, refs, blobs)
#      must be identical;
#   3. huggingface_hub reads nla's cache offline (snapshot_download, try_to_load_from_cache, scan_cache_dir);
#   4. nla resolves the repo id in huggingface_hub's cache offline.
# Run:  mvn -q -o test-compile && tools/hub/python-interop.sh  (needs python3 with huggingface_hub installed;
#       checked with huggingface_hub 2.0.0)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
java="${JAVA_HOME:+$JAVA_HOME/bin/}java"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
(cd "$root" && mvn -q -o dependency:build-classpath -Dmdep.outputFile="$work/cp" >/dev/null)
cp="$root/target/classes:$root/target/test-classes:$(cat "$work/cp")"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$work"' EXIT
"$java" -cp "$cp" nla.io.hub.FakeHubMain serve 120 >"$work/endpoint" &
server=$!
for _ in $(seq 50); do [ -s "$work/endpoint" ] && break; sleep 0.2; done
endpoint="$(cat "$work/endpoint")"

HF_ENDPOINT="$endpoint" HF_HUB_CACHE="$work/py" HF_HUB_DISABLE_TELEMETRY=1 "$python" - <<'PY'
from huggingface_hub import hf_hub_download
for f in ["config.json", "model.safetensors", "extra/deep/shard.bin"]:
    hf_hub_download("kitft/nla-tiny-av", f)
PY
"$java" -cp "$cp" nla.io.hub.FakeHubMain download "$work/nla" "$endpoint"

listing() { (cd "$1" && find . -not -path './.locks*' -printf '%p -> %l\n' | sort); }
diff <(listing "$work/py") <(listing "$work/nla")
diff "$work/py/models--kitft--nla-tiny-av/refs/main" "$work/nla/models--kitft--nla-tiny-av/refs/main"
(cd "$work/py" && find . -path '*/blobs/*' -type f) | while read -r f; do cmp "$work/py/$f" "$work/nla/$f"; done
echo "same cache tree, refs and blobs as huggingface_hub"

HF_HUB_OFFLINE=1 HF_HUB_CACHE="$work/nla" "$python" - <<'PY'
from huggingface_hub import snapshot_download, try_to_load_from_cache, scan_cache_dir
snap = snapshot_download("kitft/nla-tiny-av")
assert try_to_load_from_cache("kitft/nla-tiny-av", "extra/deep/shard.bin") == snap + "/extra/deep/shard.bin"
info = scan_cache_dir()
assert not info.warnings, info.warnings
(repo,) = info.repos
(rev,) = repo.revisions
assert sorted(rev.refs) == ["main"] and rev.nb_files == 3, rev
print("huggingface_hub reads nla's cache offline:", snap)
PY
resolved="$("$java" -cp "$cp" nla.io.hub.FakeHubMain resolve "$work/py")"
[ "$resolved" = "$work/py/models--kitft--nla-tiny-av/snapshots/0123456789abcdef0123456789abcdef01234567" ]
echo "nla resolves huggingface_hub's cache offline: $resolved"
echo "OK"
