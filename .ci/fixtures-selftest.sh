#!/usr/bin/env bash
# Offline test of `cargo xtask fixtures` (run by .ci/checks.sh): GitHub's
# layout (raw files, codeload archives, the release holding the bundle) is
# rebuilt from an existing fixture root under a scratch dir, every upstream
# URL is rewritten to it (file://), and the fetch must rebuild a root that
# verifies; a tampered upstream file must fail the fetch and leave nothing.
# Usage: bash .ci/fixtures-selftest.sh XTASK_BINARY FIXTURE_ROOT
set -euo pipefail
unset BASH_ENV ENV
cd "$(dirname "${BASH_SOURCE[0]}")/.."
xtask="$1"
src="$(cd "$2" && pwd)"
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
fail() { printf 'fixtures self-test: FAILED: %s\n' "$*" >&2; exit 1; }
up="${scratch}/upstream"

# raw.githubusercontent.com/<owner>/<repo>/<commit>/<path> and the codeload
# archives, from the manifest's own URLs.
python3 - "$src" "$up" xtask/fixtures.toml <<'PY'
import os, shutil, subprocess, sys, tomllib
src, up, manifest = sys.argv[1:4]
m = tomllib.load(open(manifest, "rb"))
for e in m["fixture"]:
    if "url" in e:
        dst = os.path.join(up, e["url"].split("://", 1)[1])
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copyfile(os.path.join(src, e["path"]), dst)
    elif "archive" in e:
        stage = os.path.join(up, "stage", e["strip"])
        os.makedirs(stage, exist_ok=True)
        for inc in e["include"]:
            s = os.path.join(src, e["path"], inc)
            (shutil.copytree if os.path.isdir(s) else shutil.copyfile)(s, os.path.join(stage, inc))
        # An unrelated member the archive holds and `include` leaves out.
        open(os.path.join(stage, "README.md"), "w").write("not a fixture\n")
        dst = os.path.join(up, e["archive"].split("://", 1)[1])
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        subprocess.run(["tar", "-czf", dst, "-C", os.path.join(up, "stage"), e["strip"]], check=True)
        shutil.rmtree(os.path.join(up, "stage"))
PY
bundle_url="$(sed -n '/^\[bundle\]/,/^$/s/^url = "\(.*\)"$/\1/p' xtask/fixtures.toml)"
mkdir -p "${up}/$(dirname "${bundle_url#https://}")"
"$xtask" fixtures --pack-bundle "$src" "${up}/${bundle_url#https://}" >/dev/null

rw=(--rewrite "https://=file://${up}/")
# a. an empty root: every entry fetched through its upstream code path, verified.
"$xtask" fixtures --dest "${scratch}/root" "${rw[@]}" >"${scratch}/a.log" 2>&1 || { cat "${scratch}/a.log"; fail "fetch into an empty root"; }
grep -q '^fixtures: 136 fetched and verified, 0 already verified' "${scratch}/a.log" || { tail -n 5 "${scratch}/a.log"; fail "not every entry was fetched"; }
grep -q 'README.md' < <(find "${scratch}/root/advisories/rustsec" -maxdepth 1) && fail "an archive member outside include was extracted"
"$xtask" fixtures --verify "${scratch}/root" >/dev/null || fail "the fetched root does not verify"
# b. again: nothing fetched.
"$xtask" fixtures --dest "${scratch}/root" "${rw[@]}" >"${scratch}/b.log" 2>&1 || { cat "${scratch}/b.log"; fail "second fetch"; }
grep -q '^fixtures: 0 fetched and verified, 136 already verified' "${scratch}/b.log" || fail "a verified root was fetched again"
# c. a tampered local file: --verify names it; the fetch replaces it.
printf 'x' >>"${scratch}/root/lockfiles/bat-v0.10.0.Cargo.lock"
if "$xtask" fixtures --verify "${scratch}/root" >"${scratch}/c.log" 2>&1; then fail "--verify accepted a tampered file"; fi
grep -q '^fixtures: lockfiles/bat-v0.10.0.Cargo.lock: sha256' "${scratch}/c.log" || { cat "${scratch}/c.log"; fail "--verify did not name the tampered file"; }
"$xtask" fixtures --dest "${scratch}/root" "${rw[@]}" >"${scratch}/c2.log" 2>&1 || fail "fetch over a tampered file"
grep -q '^fixtures: 1 fetched and verified, 135 already verified' "${scratch}/c2.log" || fail "the tampered file was not replaced"
# d. a tampered upstream file and a tampered upstream tree: the fetch fails, nothing of theirs lands.
lock_url="$(grep -A2 'path = "lockfiles/bat-HEAD.Cargo.lock"' xtask/fixtures.toml | sed -n 's/^url = "https:\/\/\(.*\)"$/\1/p')"
printf 'x' >>"${up}/${lock_url}"
if "$xtask" fixtures --dest "${scratch}/d" "${rw[@]}" >"${scratch}/d.log" 2>&1; then fail "a tampered upstream file was accepted"; fi
grep -q 'fetched, but lockfiles/bat-HEAD.Cargo.lock: sha256' "${scratch}/d.log" || { tail -n 3 "${scratch}/d.log"; fail "no mismatch message"; }
[ ! -e "${scratch}/d/lockfiles/bat-HEAD.Cargo.lock" ] || fail "a tampered upstream file landed in the root"
[ ! -e "${scratch}/d/.fixtures-staging" ] || fail "the staging dir was left behind"
# e. a missing root entry and no network: the fetch fails loudly (curl cannot reach it).
rm -f "${up}/${lock_url}"
if "$xtask" fixtures --dest "${scratch}/d" "${rw[@]}" >"${scratch}/e.log" 2>&1; then fail "an unreachable upstream file was not an error"; fi
echo "fixtures self-test: upstream/archive/bundle fetch verified (136 entries), idempotent, tampered local file named and replaced, tampered or unreachable upstream refused: ok"
