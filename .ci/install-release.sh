#!/usr/bin/env bash
# The action's install path against a locally served release, under act
# (host mode, offline): a fake release directory holds gate-coverage's
# archive for a made-up version, `python3 -m http.server` serves it on the
# loopback address, a manifest records its sha256, and .ci/act/install-release.yml
# runs actions/coverage with `version:` that release. Checks that the binary
# came from the release, verified, and that a manifest without the entry
# falls back to a source build. Prints each install step's time (act's own
# step timings).
#
#   bash .ci/install-release.sh BINARY [source]
#
# BINARY is the gate-coverage put in the archive (a workspace build). With
# `source`, also time the from-source install: `cargo install --locked --path`,
# release profile, into a fresh target directory (slow: a full release build).
set -euo pipefail
unset BASH_ENV ENV
cd "$(dirname "${BASH_SOURCE[0]}")/.."

binary="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
scratch="$(mktemp -d)"
server_pid=""
cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { printf 'install-release: FAILED: %s\n' "$*" >&2; exit 1; }
version=v9.9.9
asset=gate-coverage-x86_64-unknown-linux-musl.tar.gz

mkdir -p "${scratch}/release/${version}" "${scratch}/pkg"
cp "$binary" "${scratch}/pkg/gate-coverage"
tar -czf "${scratch}/release/${version}/${asset}" -C "${scratch}/pkg" gate-coverage
sum="$(sha256sum "${scratch}/release/${version}/${asset}" | cut -d' ' -f1)"
printf '%s  %s/%s\n' "$sum" "$version" "$asset" >"${scratch}/manifest.txt"
printf '# no entry\n' >"${scratch}/manifest.empty"

# The server picks a free port itself and says which on its first line: no
# port is chosen beforehand, nothing waits on a timer.
coproc server { exec python3 -u -m http.server 0 --bind 127.0.0.1 --directory "${scratch}/release" 2>&1; }
# shellcheck disable=SC2154 # set by coproc
server_pid="$server_PID"
read -r line <&"${server[0]}" || fail "the HTTP server did not start"
port="$(printf '%s\n' "$line" | sed -n 's/.* port \([0-9]*\).*/\1/p')"
[ -n "$port" ] || fail "no port in: $line"
echo "serving ${scratch}/release on 127.0.0.1:${port}"

# actions/cache cannot be fetched offline: a stand-in, as in checks.sh.
cache_sha="$(sed -n 's|.*uses: actions/cache@\([0-9a-f]\{40\}\).*|\1|p' actions/coverage/action.yml | sed -n 1p)"
mkdir -p "${scratch}/cache-stub"
cat >"${scratch}/cache-stub/action.yml" <<'STUB'
name: actions/cache stand-in
description: Offline stand-in for actions/cache in act runs; restores and saves nothing.
inputs:
  path: {description: path, required: true}
  key: {description: key, required: true}
runs:
  using: composite
  steps:
    - shell: bash
      run: echo "actions/cache stand-in (offline act run)"
STUB

run_act() { # $1 = name, $2 = manifest; remaining: extra act flags
  local name="$1" manifest="$2" log="${scratch}/act-${1}.log"
  shift 2
  if ! act workflow_dispatch -W .ci/act/install-release.yml -P ubuntu-latest=-self-hosted \
    --input "version=${version}" --local-repository "actions/cache@${cache_sha}=${scratch}/cache-stub" \
    --env GATES_MANIFEST="$manifest" --env GATES_RELEASE_URL="http://127.0.0.1:${port}" "$@" \
    </dev/null >"$log" 2>&1; then
    tail -n 40 "$log"
    fail "act (${name})"
  fi
  grep -q 'Job succeeded' "$log" || { tail -n 40 "$log"; fail "act (${name}): job did not succeed"; }
  mkdir -p target
  cp "$log" "target/act-install-${name}.log"
  printf 'act (%s): %s\n' "$name" "$(grep -E 'Success - Main Install gate-coverage' "$log" | sed 's/.*Install gate-coverage/install step/' | sed -n 1p)"
}

# a. the manifest has the entry: downloaded from the loopback release, verified, used.
run_act release "${scratch}/manifest.txt"
grep -q "sha256 verified: ${sum}" "${scratch}/act-release.log" || fail "release: the archive was not verified"
grep -q 'gate-coverage (release)' "${scratch}/act-release.log" || fail "release: the binary did not come from the release"
grep -q 'building gate-coverage from source' "${scratch}/act-release.log" && fail "release: built from source"
# b. a tampered release: the step fails, nothing is built instead.
printf 'x' >>"${scratch}/release/${version}/${asset}"
if act workflow_dispatch -W .ci/act/install-release.yml -P ubuntu-latest=-self-hosted \
  --input "version=${version}" --local-repository "actions/cache@${cache_sha}=${scratch}/cache-stub" \
  --env GATES_MANIFEST="${scratch}/manifest.txt" --env GATES_RELEASE_URL="http://127.0.0.1:${port}" \
  </dev/null >"${scratch}/act-tampered.log" 2>&1; then
  fail "a tampered release was installed"
fi
grep -q 'sha256 mismatch' "${scratch}/act-tampered.log" || { tail -n 30 "${scratch}/act-tampered.log"; fail "tampered: no mismatch message"; }
grep -q 'building gate-coverage from source' "${scratch}/act-tampered.log" && fail "tampered: fell back to a source build"
echo "act (tampered): refused, no fallback build"
# c. from source (no manifest entry): cargo install --locked --path, release
#    profile, fresh target dir, offline (the registry is already fetched).
if [ "${2:-}" = source ]; then
  run_act source "${scratch}/manifest.empty" --env CARGO_NET_OFFLINE=true --env CARGO_TARGET_DIR="${scratch}/target"
  grep -q 'gate-coverage (source)' "${scratch}/act-source.log" || fail "source: not built from source"
  # The release-profile binary that build produced, served as the release:
  # the download/verify/extract time of a real release binary's archive.
  cp "${scratch}/target/release/gate-coverage" "${scratch}/pkg/gate-coverage"
  tar -czf "${scratch}/release/${version}/${asset}" -C "${scratch}/pkg" gate-coverage
  sum="$(sha256sum "${scratch}/release/${version}/${asset}" | cut -d' ' -f1)"
  printf '%s  %s/%s\n' "$sum" "$version" "$asset" >"${scratch}/manifest.txt"
  printf 'release-profile archive: %s bytes\n' "$(wc -c <"${scratch}/release/${version}/${asset}")"
  run_act release-profile "${scratch}/manifest.txt"
  grep -q 'gate-coverage (release)' "${scratch}/act-release-profile.log" || fail "release-profile: not from the release"
fi
echo "install-release: verified release installed, tampered release refused${2:+, source build}: ok"
