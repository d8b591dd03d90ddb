#!/usr/bin/env bash
# The figures of `berth versions sync` over 1,000 tags, run by benches/sync.sh:
#   benches/sync.sh benches/sync-measure.sh
# which exports REGISTRY (docker-registry, every tag in one answer), PROXY (the
# tests' proxy in front of it, paging tag lists by `n` as registries people use
# do) and REQUESTS (the proxy's log, one `METHOD target` line per request).
# Through the proxy: a first sync (every tag new), a second (nothing new), a
# third after one more tag; then the same first sync straight to the registry.
# Prints each sync's wall time, berth's own request count and the proxy's.
set -euo pipefail
ROOT=$(realpath "$(dirname "$0")/..")
BERTH=${BERTH:-$ROOT/target/release/berth}
W=$(mktemp -d /tmp/bench-sync-repo.XXXX)
trap 'rm -rf "$W"' EXIT
export SOURCE_DATE_EPOCH=1767225600 GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@berth.invalid \
  GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@berth.invalid

measure() { # LABEL DIR -- sync arguments
  local label=$1 dir=$2; shift 2
  local before after start end
  before=$(wc -l <"$REQUESTS")
  start=$(date +%s.%N)
  "$BERTH" -C "$dir" versions sync app --max-requests 5000 --format json "$@" >"$W/out.json"
  end=$(date +%s.%N)
  after=$(wc -l <"$REQUESTS")
  python3 - "$label" "$start" "$end" "$before" "$after" "$W/out.json" <<'PY'
import json, sys
label, start, end, before, after, out = sys.argv[1:]
o = json.load(open(out))
r = o["requests"]
c = o["components"][0]
print(f"{label:<34} {float(end) - float(start):6.2f} s  requests {r['total']:>5} "
      f"(list {r['list']}, HEAD {r['head']}, GET {r['get']})  proxy saw {int(after) - int(before):>5}  "
      f"seen {c['seen']}, new {len(c['added'])}, known {c['known']}")
PY
}

for via in proxy registry; do
  host=$PROXY; [ "$via" = registry ] && host=$REGISTRY
  "$BERTH" init "$W/$via" --commit >/dev/null
  "$BERTH" -C "$W/$via" component add app --image "$host/bench/app" --commit >/dev/null
done
measure "first sync, via the paging proxy" "$W/proxy" --commit
measure "second sync, nothing new" "$W/proxy"
# One tag more: push-tags pushes the 1,000 again (same digests) and 1.100.0.
"$ROOT/target/release/examples/push-tags" "$REGISTRY" bench/app 1001 >/dev/null 2>&1
measure "third sync, one new tag" "$W/proxy" --commit
measure "first sync, straight to registry" "$W/registry" --commit
