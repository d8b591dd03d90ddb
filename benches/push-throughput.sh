#!/usr/bin/env bash
# Sixteen promoters pushing to one environment on a loopback git daemon: 4 clones
# x 4 processes, each promoting its own package's versions one after another to
# dev with --push for DURATION seconds. Reports promotions landed per minute,
# retries, exit codes, and checks that the remote's env/dev first-parent log holds
# exactly the promotions that exited 0 and that `berth check` passes on a clone.
# BERTH=target/release/berth benches/push-throughput.sh   (run by hand; python3)
set -euo pipefail
BERTH=$(realpath "${BERTH:?set BERTH to the berth binary}")
DURATION=${DURATION:-60}
CLONES=${CLONES:-4}
PER_CLONE=${PER_CLONE:-4}
VERSIONS=${VERSIONS:-150}
PROMOTERS=$((CLONES * PER_CLONE))
W=$(mktemp -d /tmp/bench-push-throughput.XXXX)
export HOME=$W/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com \
  GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com NO_COLOR=1
mkdir -p "$HOME" "$W/in" "$W/runs"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
git init -q --bare -b main "$W/srv/shared.git"
git daemon --reuseaddr --base-path="$W/srv" --export-all --enable=receive-pack \
  --listen=127.0.0.1 --port="$PORT" "$W/srv" &
DAEMON=$!
trap 'kill $DAEMON 2>/dev/null; rm -rf "$W"' EXIT
for _ in $(seq 100); do
  git ls-remote "git://127.0.0.1:$PORT/shared.git" >/dev/null 2>&1 && break
  sleep 0.1
done
URL=git://127.0.0.1:$PORT/shared.git

# The catalog: VERSIONS version sets of each promoter's package, pushed.
python3 - "$W/in" "$PROMOTERS" "$VERSIONS" <<'EOF'
import json, sys
out, packages, versions = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for p in range(packages):
    for n in range(1, versions + 1):
        package = f"svc-{p:02}"
        doc = {
            "package": package,
            "git_sha": f"{p:08x}{n:032x}",
            "created_at": f"2025-05-01T{n // 3600 % 24:02}:{n // 60 % 60:02}:{n % 60:02}Z",
            "builds": {"worker": {"artifact_ref": f"worker-bundles/{package}-{n}",
                                  "size_bytes": 1000 + n, "compatibility_date": "2025-05-01"}},
            "migrations": {"do_migrations": []},
            "env_manifest_ref": f"env-manifests/{package}",
            "infra_plan_ref": f"infra-plans/{package}-{n}",
        }
        with open(f"{out}/{package}-{n:04}.json", "w") as f:
            json.dump(doc, f)
EOF
cd "$W" && "$BERTH" init seed --commit >/dev/null && cd seed
git remote add origin "$URL"
"$BERTH" put version-sets "$W"/in/*.json --commit --format json >"$W/put.json"
git push -q origin main
python3 - "$W" "$PROMOTERS" <<'EOF'
import json, os, sys
w, packages = sys.argv[1], int(sys.argv[2])
objects = {os.path.basename(o["file"]): o["object"] for o in json.load(open(f"{w}/put.json"))["objects"]}
for p in range(packages):
    with open(f"{w}/runs/svc-{p:02}.objects", "w") as f:
        for name in sorted(n for n in objects if n.startswith(f"svc-{p:02}-")):
            f.write(objects[name] + "\n")
EOF
for c in $(seq "$CLONES"); do git clone -q "$URL" "$W/clone-$c"; done

# One promoter: its package's next version, until the time is up. A promotion
# that did not exit 0 is tried again (it may have landed: the retry then finds
# it there and exits 0 with nothing to do).
promoter() {
  local dir=$1 package=$2 n=0 code started
  local -a objects
  mapfile -t objects <"$W/runs/$package.objects"
  cd "$dir"
  while ((SECONDS < END)) && ((n < ${#objects[@]})); do
    code=0 started=$EPOCHREALTIME
    "$BERTH" promote "${objects[n]}" --to dev --push --format json \
      >"$W/runs/$package.$SECONDS.$RANDOM.json" 2>/dev/null || code=$?
    echo "$code ${objects[n]} $started $EPOCHREALTIME" >>"$W/runs/$package.codes"
    ((code == 0)) && n=$((n + 1))
  done
  ((n < ${#objects[@]})) || echo "$package ran out of versions" >&2
}

END=$((SECONDS + DURATION))
START_NS=$(date +%s%N)
p=0
for c in $(seq "$CLONES"); do
  for _ in $(seq "$PER_CLONE"); do
    promoter "$W/clone-$c" "$(printf 'svc-%02d' $p)" &
    p=$((p + 1))
  done
done
for job in $(jobs -p); do [ "$job" = "$DAEMON" ] || wait "$job"; done
ELAPSED_NS=$(($(date +%s%N) - START_NS))

# What landed: the remote's dev, read from the bare repository.
git --git-dir="$W/srv/shared.git" fsck --no-progress --no-dangling
git --git-dir="$W/srv/shared.git" log --first-parent \
  --format='%(trailers:key=Berth-Object,valueonly)' refs/heads/env/dev | sed '/^$/d' >"$W/remote.objects"
git clone -q "$URL" "$W/verify"
(cd "$W/verify" && "$BERTH" fetch >/dev/null && "$BERTH" check >"$W/check.out" 2>&1) ||
  { cat "$W/check.out"; echo "berth check failed on a clone of the remote" >&2; exit 1; }

python3 - "$W" "$PROMOTERS" "$ELAPSED_NS" "$DURATION" <<'EOF'
import collections, glob, json, os, sys
w, packages, elapsed_ns, duration = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
codes = collections.Counter()
errors = collections.Counter()
succeeded, retries, landed_here, unchanged = [], [], 0, 0
seconds = collections.defaultdict(list)
for path in glob.glob(f"{w}/runs/*.codes"):
    for line in open(path):
        code, obj, started, ended = line.split()
        codes[int(code)] += 1
        seconds[int(code)].append(float(ended) - float(started))
        if code == "0":
            succeeded.append(obj)
for path in glob.glob(f"{w}/runs/*.json"):
    text = open(path).read()
    if not text.strip():
        continue
    doc = json.loads(text)
    if "error" in doc:
        errors[doc["error"]["code"]] += 1
    if "retries" in doc:
        retries.append(doc["retries"])
        if doc.get("promotions"):
            landed_here += 1
        else:
            unchanged += 1
remote = [line.strip() for line in open(f"{w}/remote.objects")]
exact = sorted(remote) == sorted(succeeded) and len(set(remote)) == len(remote)
minutes = elapsed_ns / 6e10
attempts = sum(codes.values())
print(f"promoters: {packages}; ran {elapsed_ns / 1e9:.1f} s (DURATION={duration})")
print(f"attempts: {attempts}; exit codes: " + ", ".join(f"{c}: {n}" for c, n in sorted(codes.items())))
if errors:
    print("errors: " + ", ".join(f"{c}: {n}" for c, n in sorted(errors.items())))
for code, spans in sorted(seconds.items()):
    spans.sort()
    print(f"seconds per attempt exiting {code}: median {spans[len(spans) // 2]:.2f}, "
          f"90th percentile {spans[len(spans) * 9 // 10]:.2f}, max {spans[-1]:.2f}")
print(f"landed: {len(remote)} on the remote's env/dev, {len(remote) / minutes:.0f} a minute")
print(f"exit 0: {len(succeeded)} ({landed_here} pushed their promotion, {unchanged} found it already there)")
if retries:
    hist = collections.Counter(retries)
    print(f"retries per exit 0: mean {sum(retries) / len(retries):.2f}, max {max(retries)}; "
          + ", ".join(f"{r}: {n}" for r, n in sorted(hist.items())))
print("remote's first-parent log = the promotions that exited 0, each once:", "yes" if exact else "NO")
print("git fsck of the bare repository and berth check on a clone: passed")
sys.exit(0 if exact else 1)
EOF
