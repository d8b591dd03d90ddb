#!/usr/bin/env bash
# promote --push against a loopback git daemon, and git's own push of the same commit.
# BERTH=target/release/berth benches/push.sh   (hyperfine, git daemon on 127.0.0.1)
set -euo pipefail
BERTH=$(realpath "${BERTH:?}")
TOUR=$(realpath "$(dirname "$0")/../examples/tour")
W=$(mktemp -d /tmp/bench-push.XXXX)
export HOME=$W/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com \
  GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com \
  GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z NO_COLOR=1
mkdir -p $HOME
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
git init -q --bare $W/srv/shared.git
git daemon --reuseaddr --base-path=$W/srv --export-all --enable=receive-pack --listen=127.0.0.1 --port=$PORT $W/srv &
DAEMON=$!
trap 'kill $DAEMON; rm -rf "$W"' EXIT
sleep 0.5
URL=git://127.0.0.1:$PORT/shared.git
cd $W && $BERTH init a --commit >/dev/null && cd a
git remote add origin $URL
$BERTH put version-sets $TOUR/search-1.json $TOUR/search-2.json $TOUR/devpad-1.toml --commit >/dev/null
git push -q origin main
$BERTH promote 80990a51c872 --to dev --push >/dev/null
BEFORE=$(git rev-parse refs/heads/env/dev)
RESET="git update-ref refs/heads/env/dev $BEFORE && git update-ref refs/remotes/origin/env/dev $BEFORE && git --git-dir=$W/srv/shared.git update-ref refs/heads/env/dev $BEFORE"
$BERTH promote 682cc9b82324 --to dev --push >/dev/null
AFTER=$(git rev-parse refs/heads/env/dev)
hyperfine -N --style basic --warmup 3 --runs 60 --export-markdown $W/push.md \
  --prepare "sh -c '$RESET'" \
  -n "berth promote --to dev --push" "$BERTH promote 682cc9b82324 --to dev --push" \
  -n "git push of the same commit" "git push -q origin $AFTER:refs/heads/env/dev" \
  -n "git fetch, then git push" "sh -c 'git fetch -q origin refs/heads/env/dev:refs/remotes/origin/env/dev && git push -q origin $AFTER:refs/heads/env/dev'" \
  -n "berth promote --to dev (no push)" "$BERTH promote 682cc9b82324 --to dev"
cat "$W/push.md"
