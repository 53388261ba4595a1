#!/usr/bin/env bash
# Packaging checks, run by .ci/run (or alone: bash .ci/checks.sh):
#   1. shellcheck of the shell scripts
#   2. action.yml and workflow files against the official schemas (../shared copies)
#   3. zizmor, offline, no findings allowed
#   4. install.sh and run.sh self-tests (manifest placeholder -> source fallback,
#      sha256 verification, argument passing), with stand-in cargo/curl
#   5. act, host mode, offline (skipped with CHECKS_SKIP_ACT=1): examples.yml through `uses: ./actions/coverage`,
#      once with the prebuilt workspace binary (GATES_BIN_DIR) and once through
#      the `cargo install --locked --path` fallback; then the install path from
#      a release served on the loopback address (.ci/install-release.sh)
# Needs: shellcheck, check-jsonschema, zizmor, act (installed by .ci/run), and a
# workspace build (`cargo build --workspace --locked`, done by .ci/run).
set -euo pipefail
unset BASH_ENV ENV
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root="$PWD"

# Official schemas: the copies in ../shared (CI clones the repo with shared/ beside
# it). Where shared/ is absent (GitHub-hosted CI) check-jsonschema's vendored
# copies of the same SchemaStore schemas are used instead, and that is said.
schemas="../shared/fixtures/schemas"
if [ -f "${schemas}/github-action.json" ] && [ -f "${schemas}/github-workflow.json" ]; then
  action_schema=(--schemafile "${schemas}/github-action.json")
  workflow_schema=(--schemafile "${schemas}/github-workflow.json")
else
  echo "checks: ${schemas} not found; using check-jsonschema's vendored SchemaStore schemas"
  action_schema=(--builtin-schema vendor.github-actions)
  workflow_schema=(--builtin-schema vendor.github-workflows)
fi
# The SHA that actions/cache is pinned to in the actions (act replaces it by a stand-in).
cache_sha="$(sed -n 's|.*uses: actions/cache@\([0-9a-f]\{40\}\).*|\1|p' actions/coverage/action.yml | sed -n 1p)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

step() { printf '\n--- checks: %s\n' "$*"; }
fail() { printf 'checks: FAILED: %s\n' "$*" >&2; exit 1; }

shopt -s nullglob
actions_yml=(action.yml actions/*/action.yml)
# .ci/act/: workflows only act runs (never GitHub), held to the same checks.
workflows=(.github/workflows/*.yml .ci/act/*.yml examples/pipeline/*.yml)
shopt -u nullglob

step "shellcheck"
shellcheck actions/_shared/*.sh .ci/run .ci/checks.sh .ci/fixtures-selftest.sh .ci/install-release.sh
echo "shellcheck: clean"

step "check-jsonschema: ${actions_yml[*]}"
check-jsonschema "${action_schema[@]}" "${actions_yml[@]}"
step "check-jsonschema: ${workflows[*]}"
check-jsonschema "${workflow_schema[@]}" "${workflows[@]}"

# Every example gates.yml against the schema generated from the gates' own
# config types (docs/gates.schema.json, kept in step by `cargo xtask schema`).
shopt -s nullglob
gates_configs=(examples/gates.yml examples/*/gates.yml)
shopt -u nullglob
step "check-jsonschema: ${gates_configs[*]} against docs/gates.schema.json"
check-jsonschema --schemafile docs/gates.schema.json "${gates_configs[@]}"

step "zizmor (offline)"
# Exit code is non-zero on any finding; --strict-collection makes a file that
# does not parse an error instead of a warning.
zizmor --offline --strict-collection --no-progress action.yml actions/ .github/ .ci/act/*.yml examples/pipeline/*.yml

step "install.sh self-test"
bin_dir="${scratch}/fakebin"
mkdir -p "$bin_dir"
# Stand-in cargo: records its arguments and "installs" a binary under --root.
cat >"${bin_dir}/cargo" <<'STUB'
#!/usr/bin/env bash
printf '%s\n' "$@" >"${FAKE_LOG:?}"
r=""; while [ $# -gt 0 ]; do if [ "$1" = --root ]; then r="$2"; fi; shift; done
mkdir -p "$r/bin"; printf '#!/bin/sh\necho built\n' >"$r/bin/gate-coverage"; chmod +x "$r/bin/gate-coverage"
STUB
# Stand-in curl: records that it ran and "downloads" the archive named by
# FAKE_ASSET; without FAKE_ASSET it fails, as offline.
cat >"${bin_dir}/curl" <<'STUB'
#!/usr/bin/env bash
printf 'curl\n' >>"${FAKE_CURL_LOG:?}"
o=""; while [ $# -gt 0 ]; do if [ "$1" = -o ]; then o="$2"; fi; shift; done
[ -n "${FAKE_ASSET:-}" ] || exit 6
cp "$FAKE_ASSET" "$o"
STUB
chmod +x "${bin_dir}/cargo" "${bin_dir}/curl"

run_install() { # $1 = case name; remaining: env assignments
  local name="$1"
  shift
  : >"${scratch}/${name}.out"
  : >"${scratch}/${name}.path"
  env -u BASH_ENV -u ENV -u GATES_BIN_DIR PATH="${bin_dir}:${PATH}" \
    RUNNER_OS=Linux RUNNER_ARCH=X64 GATES_GATE=coverage GATES_ACTION_ROOT="$root" \
    GATES_INSTALL_ROOT="${scratch}/${name}.root" FAKE_LOG="${scratch}/${name}.cargo" \
    FAKE_CURL_LOG="${scratch}/${name}.curl" FAKE_PWNED="${scratch}/${name}.pwned" \
    GITHUB_OUTPUT="${scratch}/${name}.out" GITHUB_PATH="${scratch}/${name}.path" "$@" \
    bash --noprofile --norc -euo pipefail actions/_shared/install.sh >"${scratch}/${name}.log" 2>&1
}
# a. placeholder manifest: no download, says so, builds from source with --locked --path.
run_install placeholder GATES_VERSION=v0.1.0 || { cat "${scratch}/placeholder.log"; fail "install.sh (placeholder manifest)"; }
grep -q 'has no sha256 for v0.1.0/gate-coverage-x86_64-unknown-linux-musl.tar.gz' "${scratch}/placeholder.log" || fail "install.sh did not say why it skipped the download"
grep -qx 'source=source' "${scratch}/placeholder.out" || fail "install.sh placeholder: expected source=source"
tr '\n' ' ' <"${scratch}/placeholder.cargo" | grep -q "^install --locked --path ${root}/actions/../crates/gate-coverage \|^install --locked --path ${root}/crates/gate-coverage " ||
  fail "install.sh: unexpected cargo arguments: $(tr '\n' ' ' <"${scratch}/placeholder.cargo")"
grep -qx "${scratch}/placeholder.root/bin" "${scratch}/placeholder.path" || fail "install.sh: bin dir not added to GITHUB_PATH"
# b. a manifest entry that matches: downloaded, verified, installed.
mkdir -p "${scratch}/asset"
printf '#!/bin/sh\necho released\n' >"${scratch}/asset/gate-coverage"
chmod +x "${scratch}/asset/gate-coverage"
tar -czf "${scratch}/asset.tar.gz" -C "${scratch}/asset" gate-coverage
sum="$(sha256sum "${scratch}/asset.tar.gz" | cut -d' ' -f1)"
printf '# test\n%s  v9.9.9/gate-coverage-x86_64-unknown-linux-musl.tar.gz\n' "$sum" >"${scratch}/manifest.ok"
run_install release GATES_VERSION=v9.9.9 GATES_MANIFEST="${scratch}/manifest.ok" FAKE_ASSET="${scratch}/asset.tar.gz" ||
  { cat "${scratch}/release.log"; fail "install.sh (verified release)"; }
grep -qx 'source=release' "${scratch}/release.out" || fail "install.sh release: expected source=release"
[ "$("${scratch}/release.root/bin/gate-coverage")" = released ] || fail "install.sh release: wrong binary installed"
asset_name=gate-coverage-x86_64-unknown-linux-musl.tar.gz
cmp -s "${scratch}/asset.tar.gz" "${scratch}/release.root/cache/${asset_name}" || fail "install.sh release: the verified archive was not kept for the cache"
# c. a manifest entry that does not match: hard failure, no fallback build.
printf '%s  v9.9.9/gate-coverage-x86_64-unknown-linux-musl.tar.gz\n' "$(printf '0%.0s' $(seq 64))" >"${scratch}/manifest.bad"
if run_install mismatch GATES_VERSION=v9.9.9 GATES_MANIFEST="${scratch}/manifest.bad" FAKE_ASSET="${scratch}/asset.tar.gz"; then
  fail "install.sh accepted a sha256 mismatch"
fi
grep -q 'sha256 mismatch' "${scratch}/mismatch.log" || fail "install.sh: no mismatch message"
[ ! -e "${scratch}/mismatch.cargo" ] || [ ! -s "${scratch}/mismatch.cargo" ] || fail "install.sh built from source after a mismatch"
# d. GATES_BIN_DIR with the binary: used as is, nothing built.
run_install prebuilt GATES_BIN_DIR="${scratch}/asset" || { cat "${scratch}/prebuilt.log"; fail "install.sh (GATES_BIN_DIR)"; }
grep -qx 'source=prebuilt' "${scratch}/prebuilt.out" || fail "install.sh: GATES_BIN_DIR not honoured"
# e. an injected gate name is refused without echoing it.
if run_install badname GATES_GATE=$'x\n::warning::injected'; then fail "install.sh accepted a bad gate name"; fi
if grep -q '::warning::injected' "${scratch}/badname.log"; then fail "install.sh echoed an untrusted gate name"; fi
# The cache (actions/cache restores <root>/cache) is writable by whoever can
# write the repository's cache: what it holds is verified on every run.
# A tampered archive: its binary leaves a mark if it is ever run.
mkdir -p "${scratch}/evil"
# shellcheck disable=SC2016 # $FAKE_PWNED is expanded by the stand-in binary when it runs
printf '#!/bin/sh\ntouch "$FAKE_PWNED"\necho tampered\n' >"${scratch}/evil/gate-coverage"
chmod +x "${scratch}/evil/gate-coverage"
tar -czf "${scratch}/evil.tar.gz" -C "${scratch}/evil" gate-coverage
seed_cache() { # $1 = case name, $2 = archive to plant in its cache dir
  mkdir -p "${scratch}/$1.root/cache"
  cp "$2" "${scratch}/$1.root/cache/${asset_name}"
}
# f. a cached archive that matches the manifest: used, nothing downloaded or built.
seed_cache cachegood "${scratch}/asset.tar.gz"
run_install cachegood GATES_VERSION=v9.9.9 GATES_MANIFEST="${scratch}/manifest.ok" ||
  { cat "${scratch}/cachegood.log"; fail "install.sh (verified cache)"; }
grep -qx 'source=cache' "${scratch}/cachegood.out" || { cat "${scratch}/cachegood.log"; fail "install.sh cache: expected source=cache"; }
[ "$("${scratch}/cachegood.root/bin/gate-coverage")" = released ] || fail "install.sh cache: wrong binary installed"
[ ! -s "${scratch}/cachegood.curl" ] || fail "install.sh cache: downloaded despite a verified cached archive"
[ ! -s "${scratch}/cachegood.cargo" ] || fail "install.sh cache: built despite a verified cached archive"
# g. a tampered cached archive, offline: warned about in our own words, discarded,
#    never run; the fallback builds from source.
seed_cache cachebad "${scratch}/evil.tar.gz"
run_install cachebad GATES_VERSION=v9.9.9 GATES_MANIFEST="${scratch}/manifest.ok" ||
  { cat "${scratch}/cachebad.log"; fail "install.sh (tampered cache, offline)"; }
[ ! -e "${scratch}/cachebad.pwned" ] || fail "install.sh ran a binary from a tampered cached archive"
grep -qx '::warning title=gates install::the cached gate-coverage-x86_64-unknown-linux-musl.tar.gz does not match its sha256 in the committed manifest: discarded, not run (installing without the cache)' \
  "${scratch}/cachebad.log" || { cat "${scratch}/cachebad.log"; fail "install.sh: no warning for a tampered cached archive"; }
grep -qx 'source=source' "${scratch}/cachebad.out" || fail "install.sh tampered cache: expected the source fallback"
[ -s "${scratch}/cachebad.cargo" ] || fail "install.sh tampered cache: cargo was not run"
[ "$("${scratch}/cachebad.root/bin/gate-coverage")" = built ] || fail "install.sh tampered cache: wrong binary installed"
[ ! -e "${scratch}/cachebad.root/cache/${asset_name}" ] || fail "install.sh tampered cache: the archive was kept"
# h. a tampered cached archive with the release reachable: the verified download
#    replaces it (in the cache too), never the tampered one.
seed_cache cacheredo "${scratch}/evil.tar.gz"
run_install cacheredo GATES_VERSION=v9.9.9 GATES_MANIFEST="${scratch}/manifest.ok" FAKE_ASSET="${scratch}/asset.tar.gz" ||
  { cat "${scratch}/cacheredo.log"; fail "install.sh (tampered cache, release reachable)"; }
[ ! -e "${scratch}/cacheredo.pwned" ] || fail "install.sh ran a binary from a tampered cached archive"
grep -qx 'source=release' "${scratch}/cacheredo.out" || fail "install.sh tampered cache: expected the verified download"
[ "$("${scratch}/cacheredo.root/bin/gate-coverage")" = released ] || fail "install.sh tampered cache: wrong binary installed"
cmp -s "${scratch}/asset.tar.gz" "${scratch}/cacheredo.root/cache/${asset_name}" || fail "install.sh tampered cache: archive not replaced"
# i. a binary already in the install root (an old cache layout, an earlier step):
#    never run, replaced by a build (no release recorded) or a verified download.
for mode in build download; do
  mkdir -p "${scratch}/planted-${mode}.root/bin"
  cp "${scratch}/evil/gate-coverage" "${scratch}/planted-${mode}.root/bin/gate-coverage"
done
run_install planted-build GATES_VERSION=v0.1.0 || { cat "${scratch}/planted-build.log"; fail "install.sh (planted binary, build)"; }
grep -qx 'source=source' "${scratch}/planted-build.out" || fail "install.sh planted binary: expected a source build"
run_install planted-download GATES_VERSION=v9.9.9 GATES_MANIFEST="${scratch}/manifest.ok" FAKE_ASSET="${scratch}/asset.tar.gz" ||
  { cat "${scratch}/planted-download.log"; fail "install.sh (planted binary, download)"; }
grep -qx 'source=release' "${scratch}/planted-download.out" || fail "install.sh planted binary: expected the verified download"
if [ -e "${scratch}/planted-build.pwned" ] || [ -e "${scratch}/planted-download.pwned" ]; then
  fail "install.sh ran a binary it did not install"
fi
# j. --plan: the cache step runs only for a release recorded in the manifest, and
#    the gate name is validated before it names any path.
plan() { # $1 = case name; remaining: env assignments
  local name="$1"
  shift
  : >"${scratch}/${name}.out"
  env -u BASH_ENV -u ENV -u GATES_BIN_DIR -u GATES_INSTALL_ROOT RUNNER_OS=Linux RUNNER_ARCH=X64 \
    RUNNER_TEMP="${scratch}/tmp" GATES_GATE=coverage GATES_ACTION_ROOT="$root" GITHUB_OUTPUT="${scratch}/${name}.out" "$@" \
    bash --noprofile --norc -euo pipefail actions/_shared/install.sh --plan >"${scratch}/${name}.log" 2>&1
}
# GATES_CACHE_DIR is gate-audit's data cache (users set it): not install.sh's.
plan plan-release GATES_VERSION=v9.9.9 GATES_MANIFEST="${scratch}/manifest.ok" GATES_CACHE_DIR="${scratch}/audit-data" ||
  fail "install.sh --plan (release)"
expected_plan="gate=coverage
install-root=${scratch}/tmp/gates/coverage
cache=true
cache-dir=${scratch}/tmp/gates/coverage/cache
cache-key=gates-v9.9.9-${asset_name}-${sum}"
[ "$(cat "${scratch}/plan-release.out")" = "$expected_plan" ] ||
  { printf 'got:\n%s\nexpected:\n%s\n' "$(cat "${scratch}/plan-release.out")" "$expected_plan"; fail "install.sh --plan outputs"; }
plan plan-source GATES_VERSION=v0.1.0 || fail "install.sh --plan (placeholder manifest)"
grep -qx 'cache=false' "${scratch}/plan-source.out" || fail "install.sh --plan: a source build must not be cached"
plan plan-off GATES_VERSION=v9.9.9 GATES_MANIFEST="${scratch}/manifest.ok" GATES_INSTALL_CACHE=false || fail "install.sh --plan (cache: false)"
grep -qx 'cache=false' "${scratch}/plan-off.out" || fail "install.sh --plan: cache: false not honoured"
long_version="v9.9.9-$(printf 'x%.0s' $(seq 500))"
printf '%s  %s/%s\n' "$sum" "$long_version" "$asset_name" >"${scratch}/manifest.long"
plan plan-long GATES_VERSION="$long_version" GATES_MANIFEST="${scratch}/manifest.long" || fail "install.sh --plan (long version)"
grep -qx 'cache=false' "${scratch}/plan-long.out" || fail "install.sh --plan: a cache key over 512 characters"
if plan plan-badname GATES_GATE=$'../../x\n::warning::injected'; then fail "install.sh --plan accepted a bad gate name"; fi
[ ! -s "${scratch}/plan-badname.out" ] || fail "install.sh --plan wrote outputs for a bad gate name"
if grep -q 'injected' "${scratch}/plan-badname.log"; then fail "install.sh --plan echoed an untrusted gate name"; fi
# k. GATES_RELEASE_URL: https, or plain http on the loopback address only.
for u in http://example.com/r http://127.0.0.1.example.com/r 'http://127.0.0.1:1@example.com/r'; do
  if run_install badurl GATES_VERSION=v9.9.9 GATES_MANIFEST="${scratch}/manifest.ok" FAKE_ASSET="${scratch}/asset.tar.gz" GATES_RELEASE_URL="$u"; then
    fail "install.sh accepted GATES_RELEASE_URL=${u}"
  fi
  grep -q 'GATES_RELEASE_URL' "${scratch}/badurl.log" || fail "install.sh: no message for GATES_RELEASE_URL=${u}"
done
echo "install.sh: placeholder->source, verified release, mismatch refused, GATES_BIN_DIR, bad name,"
echo "  cached archive verified (good used; tampered discarded, never run, rebuilt or re-downloaded), planted binary never run, --plan: ok"

step "run.sh self-test"
cat >"${bin_dir}/gate-coverage" <<'STUB'
#!/usr/bin/env bash
for a in "$@"; do printf 'arg<%s>\n' "$a"; done
env | grep -E '^(GATES_|GITHUB_TOKEN=)' | sort
STUB
chmod +x "${bin_dir}/gate-coverage"
out="$(env -u BASH_ENV -u ENV GATES_RUN_GATE=coverage GATES_RUN_BIN="${bin_dir}/gate-coverage" \
  GATES_RUN_ARGS=$'--min-total\n80\n\n$(touch '"${scratch}"$'/pwned) *\r\n--path-map=a b=c' \
  GATES_COVERAGE_MIN_DIFF='' GATES_COVERAGE_REPORTS=a.lcov GITHUB_TOKEN='' \
  bash --noprofile --norc -euo pipefail actions/_shared/run.sh)"
# shellcheck disable=SC2016 # literal $(...): it must reach the binary unexpanded
expected='arg<--min-total>
arg<80>
arg<$(touch '"${scratch}"'/pwned) *>
arg<--path-map=a b=c>
GATES_COVERAGE_REPORTS=a.lcov'
[ "$out" = "$expected" ] || { printf 'got:\n%s\nexpected:\n%s\n' "$out" "$expected"; fail "run.sh argument/env handling"; }
[ ! -e "${scratch}/pwned" ] || fail "run.sh evaluated an argument"
# The local ledger on a pull request is warned about (the pull request controls
# .gates/); not on a push, not with the GitHub ledger.
ledger_run() { # $1 = event, $2 = GATES_LEDGER, $3 = GITHUB_TOKEN
  env -u BASH_ENV -u ENV GATES_RUN_GATE=coverage GATES_RUN_BIN="${bin_dir}/gate-coverage" \
    GITHUB_EVENT_NAME="$1" GATES_LEDGER="$2" GITHUB_TOKEN="$3" \
    bash --noprofile --norc -euo pipefail actions/_shared/run.sh 2>&1
}
ledger_warning='::warning title=gates::the local ledger (.gates/) is in use on a pull request'
for c in pull_request:local: pull_request_target:local:t pull_request:auto: pull_request::; do
  IFS=: read -r ev led tok <<<"$c"
  case "$(ledger_run "$ev" "$led" "$tok")" in *"$ledger_warning"*) ;; *) fail "run.sh: no local-ledger warning for ${c}" ;; esac
done
for c in push:local: pull_request:github:t pull_request:auto:t pull_request::t; do
  IFS=: read -r ev led tok <<<"$c"
  case "$(ledger_run "$ev" "$led" "$tok")" in *"$ledger_warning"*) fail "run.sh: local-ledger warning for ${c}" ;; esac
done
echo "run.sh: one argument per line, no eval, empty inputs dropped, local ledger on pull requests warned about: ok"

if [ "${CHECKS_SKIP_ACT:-}" = 1 ]; then
  echo
  echo "checks: CHECKS_SKIP_ACT=1: act runs skipped (GitHub runs examples.yml itself)"
  echo "checks: all packaging checks passed"
  exit 0
fi

step "act: examples.yml, host mode, offline"
# actions/cache cannot be fetched offline: act maps its pinned SHA to a local stand-in.
stub="${scratch}/cache-stub"
mkdir -p "$stub"
cat >"${stub}/action.yml" <<'STUB'
name: actions/cache stand-in
description: Offline stand-in for actions/cache in act runs; restores and saves nothing.
inputs:
  path: {description: path, required: true}
  key: {description: key, required: true}
runs:
  using: composite
  steps:
    - shell: bash
      env:
        CACHE_KEY: ${{ inputs.key }}
      run: |
        printf 'actions/cache stand-in (offline act run), nothing restored for key %s\n' "$CACHE_KEY"
STUB
target_dir="${CARGO_TARGET_DIR:-${root}/target}"
run_act() { # $1 = name; remaining: extra act flags
  local name="$1" log
  shift
  log="${scratch}/act-${name}.log"
  if ! act push -W .github/workflows/examples.yml -P ubuntu-latest=-self-hosted \
    --local-repository "actions/cache@${cache_sha}=${stub}" "$@" </dev/null >"$log" 2>&1; then
    cat "$log"
    fail "act (${name})"
  fi
  grep -q 'Job succeeded' "$log" || { cat "$log"; fail "act (${name}): job did not succeed"; }
  printf '... act (%s), last lines:\n' "$name"
  tail -n 12 "$log"
  # Kept for inspection after the run.
  mkdir -p "$target_dir"
  cp "$log" "${target_dir}/act-${name}.log"
  echo "... full log: ${target_dir}/act-${name}.log"
}
[ -x "${target_dir}/debug/gate-coverage" ] || cargo build --locked -p gate-coverage
# a. the prebuilt workspace binary (GATES_BIN_DIR), as local CI runs it.
run_act prebuilt --env GATES_BIN_DIR="${target_dir}/debug"
grep -q 'source=prebuilt' "${scratch}/act-prebuilt.log" || fail "act (prebuilt): install.sh did not use GATES_BIN_DIR"
# b. the fallback: cargo install --locked --path <action checkout>/crates/gate-coverage,
#    offline, reusing the debug build's artifacts.
run_act fallback --env CARGO_NET_OFFLINE=true --env GATES_INSTALL_DEBUG=true --env CARGO_TARGET_DIR="$target_dir"
grep -q 'source=source' "${scratch}/act-fallback.log" || fail "act (fallback): install.sh did not build from source"

step "act: the reusable pipeline (.github/workflows/pipeline.yml) through its example caller, host mode, offline"
# The audit job's SARIF upload is skipped, but act still fetches the action:
# github/codeql-action's pinned SHA maps to a stand-in like actions/cache.
codeql_sha="$(sed -n 's|.*github/codeql-action/upload-sarif@\([0-9a-f]\{40\}\).*|\1|p' .github/workflows/pipeline.yml actions/*/action.yml | head -n1 || true)"
[ -n "$codeql_sha" ] || fail "no pinned github/codeql-action SHA found"
codeql_stub="${scratch}/codeql-stub"
mkdir -p "${codeql_stub}/upload-sarif"
cat >"${codeql_stub}/upload-sarif/action.yml" <<'STUB'
name: github/codeql-action/upload-sarif stand-in
description: Offline stand-in for act runs; uploads nothing.
inputs:
  sarif_file: {description: file, required: false}
  category: {description: category, required: false}
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "upload-sarif stand-in (offline act run), nothing uploaded"
STUB
pipeline_log="${scratch}/act-pipeline.log"
if ! act workflow_dispatch -W examples/pipeline/caller.yml -P ubuntu-latest=-self-hosted \
  --local-repository "actions/cache@${cache_sha}=${stub}" \
  --local-repository "github/codeql-action@${codeql_sha}=${codeql_stub}" \
  --env GATES_BIN_DIR="${target_dir}/debug" </dev/null >"$pipeline_log" 2>&1; then
  cat "$pipeline_log"
  fail "act (pipeline)"
fi
grep -q 'decision=' "$pipeline_log" || { cat "$pipeline_log"; fail "act (pipeline): no gate-score decision"; }
grep -o 'decision=[a-z-]*' "$pipeline_log" | sort | uniq -c
cp "$pipeline_log" "${target_dir}/act-pipeline.log"

step "act: the install path from a release served on 127.0.0.1"
bash .ci/install-release.sh "${target_dir}/debug/gate-coverage"
echo
echo "checks: all packaging checks passed"
