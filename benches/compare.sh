#!/usr/bin/env bash
# Times two berth builds side by side on every benchmark of BENCHMARKS.md.
#
#   OLD=/work/wt-old/target/release/berth NEW=target/release/berth benches/compare.sh setup
#   OLD=... NEW=... benches/compare.sh                  # every section
#   OLD=... NEW=... benches/compare.sh env configs      # some sections
#
# `setup` generates the repositories under $DIR/bench-cmp-* with the examples next
# to $NEW (built by `cargo build --release --bins --examples`) and $NEW itself; a
# repository that exists is kept. The data is a function of the generators'
# arguments (only commit times vary), so old and new read the same bytes.
#
# Each operation runs under `hyperfine -N` with both builds, old then new
# (ORDER=new-old for the reverse), after waiting for a quiet machine: no compiler
# or linker running and the CPUs at least $IDLE_MIN % idle over one second. Writes
# reset their state with --prepare. The markdown table goes to stdout and $OUT;
# hyperfine's JSON and log to $WORK. MEASURE=callgrind counts each operation's
# instructions instead (valgrind, one run per build): no noise, no waiting.
#
# Sections: figures git change env verified releases configs review locks rss callgrind
set -uo pipefail

: "${OLD:?OLD=path to the old berth binary}" "${NEW:?NEW=path to the new berth binary}"
OLD=$(realpath "$OLD") NEW=$(realpath "$NEW")
GEN=${GEN:-$(dirname "$NEW")/examples}      # gen-repo, gen-promotions, gen-releases, gen-configs
DIR=${DIR:-/tmp}
RUNS=${RUNS:-20} WARMUP=${WARMUP:-3}        # milliseconds-long operations
SLOW_RUNS=${SLOW_RUNS:-10}                  # full validations (about a second each)
RSS_RUNS=${RSS_RUNS:-5}
IDLE_MIN=${IDLE_MIN:-95}                    # % idle over one second before each hyperfine
ORDER=${ORDER:-old-new}
MEASURE=${MEASURE:-time}                    # or callgrind: each operation's instruction count instead
WORK=${WORK:-$DIR/bench-compare.d}
OUT=${OUT:-$WORK/compare-$(date +%Y%m%dT%H%M%S).md}

# The repositories (see setup).
R100=$DIR/bench-cmp-100k           # gen-repo 100000: loose objects and refs, clean
RENVL=$DIR/bench-cmp-env-loose     # the catalog packed, then gen-promotions 10000 (loose)
RENV=$DIR/bench-cmp-env            # the same, all packed; bench-change and one staged object
RVER=$DIR/bench-cmp-verified       # RENV plus `promote --all --from dev --to staging`, packed
RREV=$DIR/bench-cmp-review         # RENV (clean) on bench-review: ten new version sets, one in dev
RREL=$DIR/bench-cmp-releases       # RENV (clean) plus gen-releases 500, repacked, one staged
RCFG=$DIR/bench-cmp-configs        # RENV (clean) plus gen-configs 2000 x 3, repacked
R1K=$DIR/bench-cmp-1k              # gen-repo 1000, gen-promotions 1000, all loose
R1KP=$DIR/bench-cmp-1k-packed      # R1K packed; bench-change and one staged object
R2K=$DIR/bench-cmp-2k R5K=$DIR/bench-cmp-5k   # for callgrind
IN=$DIR/bench-cmp-inputs

PKG=analytics-api-013              # 536 objects in the 100k repository
PREFIX=00317567                    # a unique 8-hex prefix there
O=version-sets/03d6db441d8e14b2cdfab2bb00df198c11d6151eabd86c3d28ba41329f738f1e
NEWFILE=$IN/new-version-set.json   # PREFIX's object with a new git_sha, created_at, artifact
NEWPATH=objects/version-sets/$PKG/18fdf58933aa7c7c11e4df6653d565bda8335466e91783acda94ff164ff80273.json
EFFECTIVE=2026-01-01T00:00:00Z     # config versions written here, so their files are known

log() { printf '%s\n' "$*" >&2; }
die() { log "compare.sh: $*"; exit 2; }
g() { git -C "$@"; }

## The quiet machine (as BENCHMARKS.md's harness)

idle_pct() {  # % idle over 1 s, from /proc/stat
  local u n s i w x y z i1 t1
  read -r _ u n s i w x y z _ < /proc/stat; t1=$((u+n+s+i+w+x+y+z)); i1=$i
  sleep 1
  read -r _ u n s i w x y z _ < /proc/stat
  echo $(( 100 * (i - i1) / (u+n+s+i+w+x+y+z - t1) ))
}
busy() { ps -eo comm= | grep -Ex 'rustc|cargo|rust-lld|cc|ld|clippy-driver|cc1|rustdoc' | sort -u | tr '\n' ' '; }
wait_quiet() {  # sets IDLE to the idle % that let it through
  local since=$SECONDS
  while :; do
    if [ -z "$(busy)" ]; then IDLE=$(idle_pct); [ "$IDLE" -ge "$IDLE_MIN" ] && break; fi
    sleep 2
  done
  [ $((SECONDS - since)) -gt 5 ] && log "  (waited $((SECONDS - since)) s for a quiet machine)"
  return 0
}

## Timing and the table

fmt() {  # MEAN SD (seconds) -> "12.3 ± 0.4 ms" or "1.23 ± 0.02 s"
  awk -v m="$1" -v s="$2" 'BEGIN {
    if (m < 1) printf "%.1f ± %.1f ms", m * 1000, s * 1000; else printf "%.2f ± %.2f s", m, s }'
}
row() { printf '%s\n' "$*" | tee -a "$OUT"; }
heading() {
  row ""; row "### $*"; row ""
  if [ "$MEASURE" = callgrind ]; then
    row "| operation | old (instructions) | new (instructions) | new/old |"; row "| --- | --- | --- | --- |"
  else
    row "| operation | old (mean ± sd) | new (mean ± sd) | new/old | min new/old | idle % |"
    row "| --- | --- | --- | --- | --- | --- |"
  fi
}

# compare LABEL REPO "ARGS" [HYPERFINE-OPTION...]: `berth -C REPO ARGS` with each build.
# ARGS is split on spaces (hyperfine -N); prepare commands go through `sh -c '...'`.
N=0
compare() {
  local label=$1 repo=$2 args=$3; shift 3
  local json=$WORK/$((N += 1)).json old new ratio minratio after
  local a=(-n old "$OLD -C $repo $args") b=(-n new "$NEW -C $repo $args")
  log "$label"
  if [ "$MEASURE" = callgrind ]; then instructions "$label" "$repo" "$args" "$@"; return; fi
  wait_quiet
  if [ "$ORDER" = new-old ]; then local t=("${a[@]}"); a=("${b[@]}"); b=("${t[@]}"); fi
  if ! hyperfine -N --style basic --warmup "$WARMUP" --runs "$RUNS" "$@" \
        --export-json "$json" "${a[@]}" "${b[@]}" >> "$WORK/hyperfine.log" 2>&1; then
    row "| $label | failed (see $WORK/hyperfine.log) | | | | $IDLE |"; return
  fi
  after=$(busy)
  read -r old new ratio minratio < <(jq -r '
    (.results | map({(.command): .}) | add) as $r
    | [$r.old.mean, $r.old.stddev, $r.new.mean, $r.new.stddev, $r.old.min, $r.new.min]
    | @tsv' "$json" | awk -F'\t' '{ printf "%s:%s %s:%s %.2f %.2f\n", $1, $2, $3, $4, $3 / $1, $6 / $5 }')
  row "| $label | $(fmt "${old%:*}" "${old#*:}") | $(fmt "${new%:*}" "${new#*:}") | **$ratio** | $minratio | $IDLE${after:+ (then: ${after% })} |"
}
slow() { RUNS=$SLOW_RUNS WARMUP=1 compare "$@"; }

# instructions LABEL REPO ARGS [HYPERFINE-OPTION...]: callgrind's count for each build, with
# the --prepare step before each (no wait: the count does not depend on the machine's load).
instructions() {
  local label=$1 repo=$2 args=$3 prep=true t count=(); shift 3
  while [ $# -gt 0 ]; do [ "$1" = --prepare ] && { prep=$2; shift; }; shift; done
  for t in "$OLD" "$NEW"; do
    sh -c "$prep"
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$t" -C "$repo" $args > /dev/null 2> "$WORK/callgrind.err"
    count+=("$(sed -n 's/.*Collected : //p' "$WORK/callgrind.err")")
  done
  row "| $label | ${count[0]} | ${count[1]} | **$(awk -v o="${count[0]}" -v n="${count[1]}" 'BEGIN { printf "%.4f", n / o }')** |"
}

# The state a write bench resets to: the refs setup recorded under refs/bench/.
reset_refs() {  # REPO: every env and main back where setup left them
  local r=$1 ref
  for ref in $(g "$r" for-each-ref --format='%(refname:lstrip=2)' refs/bench/); do
    g "$r" update-ref "refs/heads/$ref" "refs/bench/$ref"
  done
}
holds() {  # REPO REV HASH: whether the environment commit REV holds the object HASH
  [[ $(g "$1" show "$2:state.toml") == *"$3"* ]]
}
tip_package() {  # REPO ENV: the package of the environment's last commit
  g "$1" log -1 --format=%B "refs/bench/$2" | sed -n 's/^Berth-Package: //p'
}

## The repositories

vs_from() {  # SRC OUT SHA CREATED [ARTIFACT]: a version set copied with a new git_sha, created_at
  jq --arg sha "$3" --arg at "$4" --arg art "${5:-}" \
    '.git_sha = $sha | .created_at = $at
     | if $art != "" then .builds.worker.artifact_ref = $art else . end' "$1" > "$2"
}
first_object() { find "$1/objects/version-sets/$2" -name '*.json' | sort | head -1; }
record_refs() {  # REPO: note main and the env branches under refs/bench/
  local r=$1 ref
  for ref in $(g "$r" for-each-ref --format='%(refname:lstrip=2)' refs/heads/); do
    g "$r" update-ref "refs/bench/$ref" "refs/heads/$ref"
  done
}
make_change() {  # REPO: bench-change with one new object, and another staged
  g "$1" switch -q -c bench-change
  "$NEW" -C "$1" put version-sets "$IN/new1.json" > /dev/null
  g "$1" add objects && g "$1" commit -qm "one new object" --no-verify
  g "$1" switch -q main
  "$NEW" -C "$1" put version-sets "$IN/new2.json" > /dev/null && g "$1" add objects
}
copy_clean() {  # SRC DST: a copy of SRC without make_change's branch and staged object
  cp -a "$1" "$2" && g "$2" reset -q && g "$2" clean -fdq objects \
    && { g "$2" branch -q -D bench-change 2> /dev/null; g "$2" update-ref -d refs/bench/bench-change; }
}
fresh() { [ -d "$1" ] && { log "keeping $1"; return 1; }; log "making $1"; rm -rf "$1.tmp"; }

setup() {
  local s i=0 one main
  for s in gen-repo gen-promotions gen-releases gen-configs; do
    [ -x "$GEN/$s" ] || die "no $GEN/$s: cargo build --release --bins --examples"
  done
  if fresh "$R100"; then
    "$GEN/gen-repo" --objects 100000 "$R100.tmp" && record_refs "$R100.tmp" && mv "$R100.tmp" "$R100"
  fi
  mkdir -p "$IN"
  vs_from "$R100/objects/version-sets/$PKG/${PREFIX}c1b8ed948f33caf7186f161ff0e2f42300724261016226a68ca53af7.json" \
    "$NEWFILE" ffffffffffffffffffffffffffffffffffffffff 2026-01-01T00:00:00Z worker-bundles/bench-new
  vs_from "$(first_object "$R100" auth-api-020)" "$IN/new1.json" \
    1111111111111111111111111111111111111111 2026-01-02T00:00:00Z
  vs_from "$(first_object "$R100" auth-api-179)" "$IN/new2.json" \
    2222222222222222222222222222222222222222 2026-01-03T00:00:00Z
  mkdir -p "$IN/review"
  for s in $(ls "$R100/objects/version-sets" | sed -n 21,30p); do  # ten packages
    i=$((i + 1))
    vs_from "$(first_object "$R100" "$s")" "$IN/review/$s.json" \
      "$(printf 'ab%038d' "$i")" "2026-02-01T00:00:$(printf %02d "$i")Z"
  done
  if fresh "$RENVL"; then
    cp -a "$R100" "$RENVL.tmp" && g "$RENVL.tmp" gc -q \
      && "$GEN/gen-promotions" --promotions 10000 "$RENVL.tmp" && record_refs "$RENVL.tmp" \
      && mv "$RENVL.tmp" "$RENVL"
  fi
  if fresh "$RENV"; then
    cp -a "$RENVL" "$RENV.tmp" && g "$RENV.tmp" gc -q && mv "$RENV.tmp" "$RENV"
  fi
  if fresh "$RREL"; then
    copy_clean "$RENV" "$RREL.tmp" && "$GEN/gen-releases" --releases 500 "$RREL.tmp" \
      && g "$RREL.tmp" repack -dq && record_refs "$RREL.tmp" && mv "$RREL.tmp" "$RREL"
  fi
  if fresh "$RCFG"; then
    copy_clean "$RENV" "$RCFG.tmp" && "$GEN/gen-configs" --ids 2000 --versions 3 "$RCFG.tmp" \
      && g "$RCFG.tmp" repack -dq && record_refs "$RCFG.tmp" && mv "$RCFG.tmp" "$RCFG"
  fi
  if fresh "$RREV"; then  # ten new version sets on a branch, one of them promoted to dev
    copy_clean "$RENV" "$RREV.tmp" && g "$RREV.tmp" switch -q -c bench-review
    one=$("$NEW" -C "$RREV.tmp" put version-sets "$IN"/review/*.json -m "Ten new version sets" \
      --format json | jq -r '.objects[0].object')
    main=$(g "$RREV.tmp" rev-parse main)
    g "$RREV.tmp" update-ref refs/heads/main bench-review          # "with main at the branch"
    "$NEW" -C "$RREV.tmp" promote "$one" --to dev > /dev/null
    g "$RREV.tmp" update-ref refs/heads/main "$main"
    record_refs "$RREV.tmp" && mv "$RREV.tmp" "$RREV"
  fi
  g "$RENV" rev-parse -q --verify bench-change > /dev/null || make_change "$RENV"
  if fresh "$RVER"; then  # staging holds all 200 packages, each from its own dev commit
    cp -a "$RENV" "$RVER.tmp" && "$NEW" -C "$RVER.tmp" promote --all --from dev --to staging > /dev/null \
      && g "$RVER.tmp" gc -q && record_refs "$RVER.tmp" && mv "$RVER.tmp" "$RVER"
  fi
  if fresh "$R1K"; then
    "$GEN/gen-repo" --objects 1000 "$R1K.tmp" && "$GEN/gen-promotions" --promotions 1000 "$R1K.tmp" \
      && record_refs "$R1K.tmp" && mv "$R1K.tmp" "$R1K"
  fi
  if fresh "$R1KP"; then
    cp -a "$R1K" "$R1KP.tmp" && g "$R1KP.tmp" gc -q && make_change "$R1KP.tmp" && mv "$R1KP.tmp" "$R1KP"
  fi
  if fresh "$R2K"; then "$GEN/gen-repo" --objects 2000 "$R2K.tmp" && mv "$R2K.tmp" "$R2K"; fi
  if fresh "$R5K"; then "$GEN/gen-repo" --objects 5000 "$R5K.tmp" && mv "$R5K.tmp" "$R5K"; fi
  log "setup done"
}

## The sections, in BENCHMARKS.md's order

warm() {  # REPO...: read the working tree's objects and the packs once
  local r
  for r in "$@"; do
    (cd "$r" && find objects .git/objects -type f -print0 | xargs -0 cat > /dev/null)
  done
}

sec_figures() {  # "Figures" and the single commands under it
  heading "Figures: 100,000 version sets, working tree ($R100)"
  warm "$R100"
  slow '`validate`' "$R100" validate
  slow '`validate --format json`' "$R100" "validate --format json"
  compare "\`ls --package $PKG\` (536 objects)" "$R100" "ls --package $PKG"
  compare "\`show $PREFIX\`" "$R100" "show $PREFIX"
  compare '`put version-sets FILE` (one new object, no commit)' "$R100" "put version-sets $NEWFILE" \
    --prepare "rm -f $R100/$NEWPATH"
  rm -f "$R100/$NEWPATH"
}

sec_git() {  # "Validating from git: --rev and --staged"
  heading "Validating from git: packed ($RENV)"
  warm "$RENV"
  slow '`validate` (working tree)' "$RENV" validate
  slow '`validate --rev HEAD`' "$RENV" "validate --rev HEAD"
  slow '`validate --staged`' "$RENV" "validate --staged"
}

sec_change() {  # "Validating a change: --base, and berth check"
  local r n
  heading "Validating a change: one new object (100k: $RENV, 1k: $R1KP)"
  warm "$RENV" "$R1KP"
  for r in "$RENV" "$R1KP"; do
    n=100k; [ "$r" = "$R1KP" ] && n=1k
    compare "\`validate --staged --base HEAD\` ($n)" "$r" "validate --staged --base HEAD"
    compare "\`validate --rev bench-change --base main\` ($n)" "$r" "validate --rev bench-change --base main"
    compare "\`validate --base HEAD\` ($n, working tree)" "$r" "validate --base HEAD"
  done
  reset_refs "$RENV"
  compare '`check --base main --head bench-change` (100k, dev 10,001 commits)' "$RENV" \
    "check --base main --head bench-change"
  # `berth validate` (everything) on this repository: the first row of "Validating from git".
}

promote_rollback() {  # REPO NOTE: promote O and roll back the tip's package, dev reset each run
  local r=$1 note=$2 o=${3:-$O} tip p noop=
  tip=$(g "$r" rev-parse refs/bench/env/dev)
  p=$(tip_package "$r" env/dev)
  holds "$r" "$tip" "${o#*/}" && noop="; a no-op: dev holds it"
  compare "\`promote ${o:0:25}… --to dev\` ($note$noop)" "$r" "promote $o --to dev" \
    --prepare "git -C $r update-ref refs/heads/env/dev $tip"
  compare "\`rollback $p --env dev\` ($note)" "$r" "rollback $p --env dev" \
    --prepare "git -C $r update-ref refs/heads/env/dev $tip"
  reset_refs "$r"
}

sec_env() {  # "Environments": packed and loose, and the 1,000-object repository
  local r n p o1k f
  for r in "$RENV" "$RENVL"; do
    n=packed; [ "$r" = "$RENVL" ] && n=loose
    heading "Environments, $n: 100k objects, 10,001-commit dev ($r)"
    warm "$r"
    reset_refs "$r"
    promote_rollback "$r" "$n"
    p=$(tip_package "$r" env/dev)
    compare "\`lineage $PKG@staging\` ($n)" "$r" "lineage $PKG@staging"
    compare "\`history $p@dev\` ($n, all 10,001 commits)" "$r" "history $p@dev"
    compare "\`status\` ($n)" "$r" status
    compare "\`ls version-sets --package nothing-here\` ($n)" "$r" "ls version-sets --package nothing-here"
    compare "\`--version\` ($n)" "$r" --version
  done
  heading "Environments: 1,000 objects, 1,000 promotions, loose ($R1K)"
  for f in $(ls "$R1K/objects/version-sets/analytics-edge-012"); do  # an object dev does not hold
    o1k=version-sets/${f%.json}
    holds "$R1K" refs/bench/env/dev "${o1k#*/}" || break
  done
  reset_refs "$R1K"
  promote_rollback "$R1K" "1k, loose" "$o1k"
}

sec_verified() {  # "Verified environments": staging holds 200 entries
  local r=$RVER stip stip1 q out
  heading "Verified environments: packed, staging holding 200 entries ($RVER)"
  warm "$r"
  reset_refs "$r"
  stip=$(g "$r" rev-parse refs/bench/env/staging)
  stip1=$(g "$r" rev-parse "$stip~1")
  q=$(tip_package "$r" env/staging)
  compare '`check --base main --head bench-change` (400 entries verified)' "$r" \
    "check --base main --head bench-change"
  promote_rollback "$r" verified
  out=$("$NEW" -C "$r" promote "$PKG@dev" --to staging 2>&1); reset_refs "$r"
  compare "\`promote $PKG@dev --to staging\`$(case $out in unchanged*) echo ' (a no-op: staging holds it)';; esac)" \
    "$r" "promote $PKG@dev --to staging" --prepare "git -C $r update-ref refs/heads/env/staging $stip"
  compare "\`promote $q@dev --to staging\` (staging reset to before its promotion)" "$r" \
    "promote $q@dev --to staging" --prepare "git -C $r update-ref refs/heads/env/staging $stip1"
  reset_refs "$r"
  compare "\`lineage $PKG@staging\` (verified)" "$r" "lineage $PKG@staging"
  compare "\`history $(tip_package "$r" env/dev)@dev\` (verified)" "$r" "history $(tip_package "$r" env/dev)@dev"
  compare '`status` (verified)' "$r" status
}

sec_releases() {  # "Releases: the rules across a package's versions"
  heading "Releases: 500 releases of one package, the next one staged ($RREL)"
  warm "$RREL"
  compare '`validate --staged --base HEAD` (one new release, 500 siblings)' "$RREL" \
    "validate --staged --base HEAD"
}

sec_configs() {  # "Configs: the rules across config versions"
  local r=$RCFG
  local update="config set cfg-00001 --expect-version 3 --set rate_cents=1 --effective-at $EFFECTIVE"
  local create="config set cfg-bench --expect-version 0 --type pricing --category logic --applies-to asset-99999 --scope asset --set rate_cents=1 --effective-at $EFFECTIVE"
  unstage() { g "$r" reset -q -- objects/configs; g "$r" clean -fdq objects/configs; }
  heading "Configs: 6,000 versions of 2,000 ids ($RCFG)"
  warm "$r"
  unstage
  "$NEW" -C "$r" $update > /dev/null && g "$r" add objects/configs
  compare '`validate --staged --base HEAD`, a new version of an existing id' "$r" "validate --staged --base HEAD"
  unstage
  "$NEW" -C "$r" $create > /dev/null && g "$r" add objects/configs
  compare '`validate --staged --base HEAD`, version 1 of a new id' "$r" "validate --staged --base HEAD"
  unstage
  compare '`config set cfg-00001 --expect-version 3 --set ...` (an update)' "$r" "$update" \
    --prepare "git -C $r clean -fdq objects/configs"
  compare '`config set cfg-bench --expect-version 0 ...` (a creation)' "$r" "$create" \
    --prepare "git -C $r clean -fdq objects/configs"
  unstage
  compare '`config show cfg-00000`' "$r" "config show cfg-00000"
  compare '`config resolve pricing --asset A --campaign C --account X`' "$r" \
    "config resolve pricing --asset asset-00000 --campaign campaign-00006 --account account-00012"
}

sec_review() {  # "Review: what a ten-object pull request ships"
  local r=$RREV before
  heading "Review: ten new version sets on bench-review, one promoted to dev ($RREV)"
  warm "$r"
  reset_refs "$r"
  before=$(g "$r" rev-parse refs/bench/env/dev~1)
  compare '`review --base main --env-base dev=<before>` (human)' "$r" "review --base main --env-base dev=$before"
  compare '`review ... --format markdown`' "$r" "review --base main --env-base dev=$before --format markdown"
  compare '`check --base main`' "$r" "check --base main"
  compare '`validate --rev HEAD --base main`' "$r" "validate --rev HEAD --base main"
}

sec_locks() {  # "Writes under git's locks": a commit on a 100,000-entry index
  local r=$R100 base
  base=$(g "$r" rev-parse refs/bench/main)
  heading "Writes under git's locks: loose refs, 100,000 entries in the index ($R100)"
  RUNS=10 WARMUP=2 compare '`put version-sets FILE --commit`' "$r" "put version-sets $NEWFILE --commit" \
    --prepare "sh -c 'git -C $r update-ref refs/heads/main $base && git -C $r read-tree $base && rm -f $r/$NEWPATH'"
  g "$r" update-ref refs/heads/main "$base" && g "$r" reset -q && rm -f "$r/$NEWPATH"
  # `put version-sets FILE` (no commit): the Figures row.
}

median() { sort -n | awk '{ v[NR] = $1 } END { printf "%.2f", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
sec_rss() {  # peak RSS and CPU time of the full validations, GNU time, old and new alternating
  local args r b i t
  row ""; row "### Full validations under GNU time ($RSS_RUNS runs each, old and new alternating)"; row ""
  row "| command | build | wall (median) | user+sys (median) | peak RSS (max) |"
  row "| --- | --- | --- | --- | --- |"
  for args in "$R100 validate" "$RENV validate --rev HEAD"; do
    r=${args%% *}; warm "$r"
    rm -f "$WORK"/rss-{old,new}
    for i in $(seq "$RSS_RUNS"); do
      for b in old new; do
        wait_quiet
        [ $b = old ] && t=$OLD || t=$NEW
        /usr/bin/time -a -o "$WORK/rss-$b" -f "%e %U %S %M" "$t" -C $args > /dev/null
      done
    done
    for b in old new; do
      row "| \`${args#* }\` ($r) | $b | $(awk '{ print $1 }' "$WORK/rss-$b" | median) s \
| $(awk '{ print $2 + $3 }' "$WORK/rss-$b" | median) s \
| $(awk '$4 > m { m = $4 } END { printf "%d kB (%.1f MiB)", m, m / 1024 }' "$WORK/rss-$b") |"
    done
  done
}

sec_callgrind() {  # instruction counts (noise-free), as "The bounds checks ..." measured them
  local args r b t count=()
  row ""; row "### Instructions under callgrind"; row ""
  row "| command | old | new | new/old |"
  row "| --- | --- | --- | --- |"
  for args in "$R2K validate" "$R5K validate --format json"; do
    r=${args%% *}
    for b in old new; do
      [ $b = old ] && t=$OLD || t=$NEW
      valgrind --tool=callgrind --callgrind-out-file="$WORK/callgrind-$b-$(basename "$r").out" \
        "$t" -C $args > /dev/null 2> "$WORK/callgrind.err"
      count+=("$(sed -n 's/.*Collected : //p' "$WORK/callgrind.err")")
    done
    row "| \`${args#* }\` ($r) | ${count[0]} | ${count[1]} | $(awk -v o="${count[0]}" -v n="${count[1]}" 'BEGIN { printf "%.4f", n / o }') |"
    count=()
  done
}

mkdir -p "$WORK"
if [ "${1:-}" = setup ]; then setup; exit; fi
for r in "$R100" "$RENVL" "$RENV" "$RVER" "$RREV" "$RREL" "$RCFG" "$R1K" "$R1KP" "$R2K" "$R5K"; do
  [ -d "$r" ] || die "no $r: run \`$0 setup\` first"
done
[ $# -gt 0 ] || set -- figures git change env verified releases configs review locks rss callgrind
row "## berth, old against new: $*"
row ""
row "- old: \`$OLD\` (sha256 $(sha256sum "$OLD" | cut -c1-12))"
row "- new: \`$NEW\` (sha256 $(sha256sum "$NEW" | cut -c1-12))"
if [ "$MEASURE" = callgrind ]; then
  row "- $(date -u +%FT%TZ), $(valgrind --version) --tool=callgrind: instructions of one run per build"
else row "- $(date -u +%FT%TZ), $(nproc) CPUs, $(hyperfine --version); each hyperfine waits for no compiler or linker and ≥ $IDLE_MIN% idle over 1 s (the idle column; \"then:\" names builds that started during the run); order $ORDER; $WARMUP warm-ups and $RUNS runs ($SLOW_RUNS for full validations)"
fi
for s in "$@"; do "sec_$s"; done
log "table: $OUT"
