#!/usr/bin/env bash
# `berth versions sync` against a loopback OCI registry with 1,000 tags.
# benches/sync.sh [COMMAND...]   (Debian's docker-registry on 127.0.0.1)
#
# Starts docker-registry (distribution 2.8) on a free loopback port with its
# storage in a temporary directory, pushes 1,000 tags to bench/app with the
# tests' harness (examples/push-tags.rs: one layer, one OCI manifest per tag),
# and serves the tests' proxy in front of it, which pages tag lists by the
# client's `n` (distribution 2.8 answers every tag at once) and writes each
# request it receives to $REQUESTS. Exports REGISTRY, PROXY (hosts) and
# REQUESTS, prints them, then runs COMMAND if given (else waits for Enter), and
# stops everything.
set -euo pipefail
ROOT=$(realpath "$(dirname "$0")/..")
W=$(mktemp -d /tmp/bench-sync.XXXX)
PIDS=()
cleanup() {
  exec 3>&- 2>/dev/null || true
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$W/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $W/storage
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$PORT
  secret: berth-bench-secret
YAML
/usr/bin/docker-registry serve "$W/config.yml" >"$W/registry.log" 2>&1 &
PIDS+=($!)
export REGISTRY=127.0.0.1:$PORT
for _ in $(seq 100); do
  curl -fsS -o /dev/null "http://$REGISTRY/v2/" 2>/dev/null && break
  sleep 0.1
done
curl -fsS -o /dev/null "http://$REGISTRY/v2/" || { cat "$W/registry.log" >&2; exit 1; }

cargo build --quiet --release --example push-tags --manifest-path "$ROOT/Cargo.toml"
export REQUESTS=$W/requests.log
mkfifo "$W/hold"
exec 3<>"$W/hold"
"$ROOT/target/release/examples/push-tags" "$REGISTRY" bench/app 1000 --proxy "$REQUESTS" \
  <"$W/hold" >"$W/proxy.txt" &
PIDS+=($!)
for _ in $(seq 600); do
  grep -q '^proxy ' "$W/proxy.txt" 2>/dev/null && break
  sleep 0.1
done
PROXY=$(sed -n 's/^proxy //p' "$W/proxy.txt")
[ -n "$PROXY" ] || { echo "push-tags did not start its proxy" >&2; exit 1; }
export PROXY
echo "registry $REGISTRY (bench/app, 1000 tags; distribution 2.8: one page)"
echo "proxy    $PROXY (pages by n; requests in $REQUESTS)"
TAGS=$(curl -fsS "http://$PROXY/v2/bench/app/tags/list" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["tags"]))')
echo "tags     $TAGS"
: >"$REQUESTS"
if [ $# -gt 0 ]; then
  "$@"
else
  read -r -p "press Enter to stop " _ || true
fi
