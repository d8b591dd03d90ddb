#!/usr/bin/env bash
# promote into an environment that requires signed commits (berth signs with
# ssh-keygen -Y sign, an ed25519 key file and one held by ssh-agent) against the
# same promotion unsigned, and ssh-keygen -Y sign alone.
# BERTH=target/release/berth benches/sign.sh   (hyperfine)
set -euo pipefail
BERTH=$(realpath "${BERTH:?}")
TOUR=$(realpath "$(dirname "$0")/../examples/tour")
W=$(mktemp -d /tmp/bench-sign.XXXX)
export HOME=$W/home GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=Ada GIT_AUTHOR_EMAIL=ada@example.com \
  GIT_COMMITTER_NAME=Ada GIT_COMMITTER_EMAIL=ada@example.com \
  GIT_AUTHOR_DATE=2026-01-01T00:00:00Z GIT_COMMITTER_DATE=2026-01-01T00:00:00Z NO_COLOR=1
mkdir -p $HOME
eval "$(ssh-agent -a $W/agent.sock)" >/dev/null
trap 'kill $SSH_AGENT_PID; rm -rf "$W"' EXIT
ssh-keygen -q -t ed25519 -N '' -C ada -f $W/ada
ssh-add -q $W/ada
cd $W && $BERTH init a --commit >/dev/null && cd a
$BERTH put version-sets $TOUR/search-1.json $TOUR/search-2.json --commit >/dev/null
$BERTH promote 80990a51c872 --to dev >/dev/null
mkdir -p signers && echo "ada@example.com $(cat $W/ada.pub)" > signers/dev
sed -i 's/^\[environments.dev\]$/[environments.dev]\nrequire_signed = true\nallowed_signers = "signers\/dev"/' berth.toml
grep -q 'allowed_signers = "signers/dev"' berth.toml
git add berth.toml signers && git commit -q -m 'dev requires signed commits'
git config gpg.format ssh
BEFORE=$(git rev-parse refs/heads/env/dev)
RESET="git update-ref refs/heads/env/dev $BEFORE"
git log -1 --format=%B > $W/message
# The same promotion unsigned: a clone whose dev does not require signatures.
git clone -q . ../b && git -C ../b update-ref refs/heads/env/dev $BEFORE
git -C ../b revert --no-edit HEAD >/dev/null
hyperfine -N --style basic --warmup 3 --runs ${RUNS:-60} --export-markdown $W/sign.md \
  --prepare "sh -c 'git config user.signingKey $W/ada && $RESET'" \
  -n "promote, signed with a key file" "$BERTH promote 682cc9b82324 --to dev" \
  --prepare "sh -c 'git config user.signingKey $W/ada.pub && $RESET'" \
  -n "promote, signed by ssh-agent" "$BERTH promote 682cc9b82324 --to dev" \
  --prepare "rm -f $W/message.sig" \
  -n "ssh-keygen -Y sign alone" "ssh-keygen -Y sign -n git -f $W/ada.pub $W/message" \
  --prepare "sh -c 'cd ../b && $RESET'" \
  -n "promote, unsigned" "$BERTH -C ../b promote 682cc9b82324 --to dev"
cat "$W/sign.md"
# The processes each promotion starts (strace, when installed): signing adds one.
if command -v strace >/dev/null; then
  for key in $W/ada $W/ada.pub; do
    git config user.signingKey $key && sh -c "$RESET"
    echo "promote signed with $key starts: $(strace -f -e trace=execve -o $W/trace $BERTH promote 682cc9b82324 --to dev >/dev/null && grep -c 'execve(.* = 0$' $W/trace) programs run (berth itself included):"
    grep 'execve(.* = 0$' $W/trace | grep -o 'execve("[^"]*"' | sed 's/execve("/  /; s/"$//'
  done
  (cd ../b && sh -c "$RESET" && echo "promote unsigned starts: $(strace -f -e trace=execve -o $W/trace $BERTH promote 682cc9b82324 --to dev >/dev/null && grep -c 'execve(.* = 0$' $W/trace) programs run")
fi
