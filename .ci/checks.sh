#!/usr/bin/env bash
# Packaging checks, run by .ci/run (or alone: bash .ci/checks.sh):
#   1. shellcheck of the shell scripts
#   2. action.yml and workflow files against the official schemas (../shared copies)
#   3. zizmor, offline, no findings allowed
#   4. install.sh and run.sh self-tests (manifest placeholder -> source fallback,
#      sha256 verification, argument passing), with stand-in cargo/curl
#   5. act, host mode, offline (skipped with CHECKS_SKIP_ACT=1): examples.yml through `uses: ./actions/coverage`,
#      once with the prebuilt workspace binary (GATES_BIN_DIR) and once through
#      the `cargo install --locked --path` fallback
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
cache_sha="$(sed -n 's|.*uses: actions/cache@\([0-9a-f]\{40\}\).*|\1|p' actions/coverage/action.yml | head -n1)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

step() { printf '\n--- checks: %s\n' "$*"; }
fail() { printf 'checks: FAILED: %s\n' "$*" >&2; exit 1; }

shopt -s nullglob
actions_yml=(action.yml actions/*/action.yml)
workflows=(.github/workflows/*.yml)
shopt -u nullglob

step "shellcheck"
shellcheck actions/_shared/*.sh .ci/run .ci/checks.sh
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
zizmor --offline --strict-collection --no-progress action.yml actions/ .github/

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
# Stand-in curl: "downloads" the archive named by FAKE_ASSET.
cat >"${bin_dir}/curl" <<'STUB'
#!/usr/bin/env bash
o=""; while [ $# -gt 0 ]; do if [ "$1" = -o ]; then o="$2"; fi; shift; done
cp "${FAKE_ASSET:?}" "$o"
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
echo "install.sh: placeholder->source, verified release, mismatch refused, GATES_BIN_DIR, bad name: ok"

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
echo "run.sh: one argument per line, no eval, empty inputs dropped: ok"

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
echo
echo "checks: all packaging checks passed"
