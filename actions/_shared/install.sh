#!/usr/bin/env bash
# Installs the binary of one gate (gate-<name>) for the runner's OS/arch and
# exposes it to the next steps. Shared by every action under actions/ and by
# the root action.yml; run it as
#
#   env -u BASH_ENV -u ENV bash --noprofile --norc -euo pipefail install.sh [--plan]
#
# Environment (all set by the composite action through `env:`):
#   GATES_GATE               gate name, e.g. `coverage` (required)
#   GATES_ACTION_ROOT        the action's own checkout: github.action_path/../.. (required)
#   GATES_INSTALL_ROOT       where to install: <root>/bin/gate-<name> (never cached);
#                            default $RUNNER_TEMP/gates/<name>
#   GATES_INSTALL_CACHE_DIR  the directory actions/cache restores and saves (default
#                            <root>/cache); it only ever holds release archives. (Not
#                            GATES_CACHE_DIR: that is gate-audit's data cache, set by users.)
#   GATES_INSTALL_CACHE      the `cache` input; `--plan` says cache=true only when it is `true`
#   GATES_VERSION            the `version` input; overrides GATES_ACTION_REF
#   GATES_ACTION_REF         github.action_ref (tag, branch or SHA the action was used at)
#   GATES_ACTION_REPOSITORY  github.action_repository (owner/name) for release downloads
#   GATES_BIN_DIR            optional: a directory that already has gate-<name> (prebuilt
#                            workspace build, local CI, act); used as is, nothing is built
#   GATES_MANIFEST           optional: manifest path (default actions/_shared/manifest.txt)
#   GATES_RELEASE_URL        optional: base URL of the releases (default
#                            https://github.com/<repository>/releases/download); https,
#                            or http on the loopback address only (a locally served
#                            release in tests). What it serves is verified against the
#                            committed manifest all the same.
#   GATES_INSTALL_DEBUG      optional, `true`: build the fallback with `--debug` (local CI speed only;
#                            with CARGO_TARGET_DIR it reuses an existing debug build)
#   CARGO_NET_OFFLINE, CARGO_TARGET_DIR, ...  honoured by cargo itself
#
# Order: GATES_BIN_DIR > the release archive in GATES_INSTALL_CACHE_DIR, re-verified
# against the committed sha256 manifest on every run (a mismatch is a warning,
# the archive is discarded) > the release archive downloaded and verified
# against the manifest (a mismatch fails the step) >
# `cargo install --locked --path <checkout>/crates/gate-<name>`.
# A binary is never taken from the cache as is: it is extracted afresh from a
# verified archive, or built. Source builds are never cached: nothing the
# cache's writer cannot also write records what they should be.
#
# Outputs (to $GITHUB_OUTPUT): path (the binary), dir, source
# (prebuilt|cache|release|source). The bin dir is appended to $GITHUB_PATH.
# With --plan nothing is installed; the outputs are gate (validated),
# install-root (default $RUNNER_TEMP/gates/<gate>, from the validated name), cache
# (`true` when a verified release archive applies and the cache is wanted),
# cache-dir and cache-key, for the actions/cache step that follows.
#
# Written for bash 3.2 too (macOS /bin/bash): no mapfile, no ${x,,}.
set -euo pipefail
unset BASH_ENV ENV

log() { printf 'gates-install: %s\n' "$*" >&2; }
die() {
  # Our own text only; no untrusted data reaches a workflow command here.
  printf '::error title=gates install::%s\n' "$*"
  exit 1
}
warn() {
  # Our own text only, as for die.
  printf '::warning title=gates install::%s\n' "$*"
}

mode=install
case "${1:-}" in
  '') ;;
  --plan) mode=plan ;;
  *) die "unknown argument: expected none or --plan" ;;
esac

gate="${GATES_GATE:-}"
case "$gate" in
  '' | *[!a-z0-9-]* | -*) die "invalid gate name: expected lower-case letters, digits and '-'" ;;
esac
bin="gate-${gate}"

action_root="${GATES_ACTION_ROOT:-}"
[ -n "$action_root" ] || die "GATES_ACTION_ROOT is not set (the action's checkout, github.action_path/../..)"
install_root="${GATES_INSTALL_ROOT:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}/gates/${gate}}"
cache_dir="${GATES_INSTALL_CACHE_DIR:-${install_root}/cache}"
version="${GATES_VERSION:-${GATES_ACTION_REF:-}}"
repository="${GATES_ACTION_REPOSITORY:-}"
[ -n "$repository" ] || repository="gates-dev/gates"
manifest="${GATES_MANIFEST:-${action_root}/actions/_shared/manifest.txt}"
# Inputs are validated before they are ever printed (no workflow-command injection).
case "$version" in *[!0-9A-Za-z._/+-]*) die "invalid version: expected a tag, branch or commit SHA" ;; esac
case "$repository" in *[!0-9A-Za-z._/-]*) die "invalid action repository" ;; esac
release_url="${GATES_RELEASE_URL:-https://github.com/${repository}/releases/download}"
release_proto='=https'
case "$release_url" in
  *[!0-9A-Za-z._/:%-]*) die "invalid GATES_RELEASE_URL" ;;
  https://*) ;;
  http://127.0.0.1:*/* | http://127.0.0.1/* | http://127.0.0.1:* | http://127.0.0.1) release_proto='=http' ;;
  *) die "GATES_RELEASE_URL must be https (or http on 127.0.0.1)" ;;
esac
for p in "$action_root" "$install_root" "$cache_dir" "$manifest"; do
  case "$p" in *$'\n'* | *$'\r'*) die "the action, install, cache or manifest path contains a line break" ;; esac
done

# --- platform -----------------------------------------------------------------
os="${RUNNER_OS:-}"
if [ -z "$os" ]; then
  case "$(uname -s)" in
    Linux) os=Linux ;;
    Darwin) os=macOS ;;
    MINGW* | MSYS* | CYGWIN*) os=Windows ;;
    *) os="$(uname -s)" ;;
  esac
fi
arch="${RUNNER_ARCH:-}"
if [ -z "$arch" ]; then
  case "$(uname -m)" in
    x86_64 | amd64) arch=X64 ;;
    aarch64 | arm64) arch=ARM64 ;;
    *) arch="$(uname -m)" ;;
  esac
fi
exe=""
case "${os}/${arch}" in
  Linux/X64) target=x86_64-unknown-linux-musl ;;
  Linux/ARM64) target=aarch64-unknown-linux-musl ;;
  macOS/X64) target=x86_64-apple-darwin ;;
  macOS/ARM64) target=aarch64-apple-darwin ;;
  Windows/X64) target=x86_64-pc-windows-msvc exe=.exe ;;
  *) target="" ;;
esac

# Native form of a path, for $GITHUB_PATH on Windows (Git Bash paths are /c/...).
native_path() {
  if [ "$os" = Windows ] && command -v cygpath >/dev/null 2>&1; then
    cygpath -w "$1"
  else
    printf '%s\n' "$1"
  fi
}

sha256_of() {
  local out
  if command -v sha256sum >/dev/null 2>&1; then
    out="$(sha256sum "$1")"
  elif command -v shasum >/dev/null 2>&1; then
    out="$(shasum -a 256 "$1")"
  else
    return 1
  fi
  printf '%s\n' "${out%% *}"
}

# --- the release this run may use: asset name and its committed sha256 ----------
asset=""
expected=""
release_plan() { # sets asset and expected, or says why there is no release
  if [ -z "$target" ]; then
    log "no prebuilt binary for ${os}/${arch}"
    return 1
  fi
  case "$version" in
    v[0-9]*.[0-9]*.[0-9]*) ;;
    '')
      log "no version: the action ref is not known (a local ./actions/ path); no release to use"
      return 1
      ;;
    *)
      log "ref '${version}' is not a release tag (vX.Y.Z); no release to use"
      return 1
      ;;
  esac
  asset="${bin}-${target}.tar.gz"
  local key="${version}/${asset}"
  if [ -f "$manifest" ]; then
    # sha256sum format: "<64 hex>  <version>/<asset>"; '#' lines are comments.
    expected="$(awk -v k="$key" '$1 ~ /^[0-9a-f]+$/ && length($1) == 64 && ($2 == k || $2 == "*" k) { print $1; exit }' "$manifest")"
  fi
  if [ -z "$expected" ]; then
    log "manifest ${manifest} has no sha256 for ${key} (empty or placeholder until that release is recorded): no release to use, building from source"
    return 1
  fi
  return 0
}

has_release=false
if release_plan; then has_release=true; fi

# --- --plan: what the actions/cache step should restore and save ---------------
if [ "$mode" = plan ]; then
  cache=false
  key=""
  if [ "$has_release" = true ] && [ "${GATES_INSTALL_CACHE:-true}" = true ] &&
    ! { [ -n "${GATES_BIN_DIR:-}" ] && [ -x "${GATES_BIN_DIR}/${bin}${exe}" ]; }; then
    # The key names the exact archive; what is restored is verified anyway.
    key="gates-${version}-${asset}-${expected}"
    # actions/cache refuses keys over 512 characters: no cache then.
    if [ "${#key}" -le 512 ]; then cache=true; else key=""; fi
  fi
  log "plan: cache=${cache}${key:+ key=${key}}"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
      printf 'gate=%s\n' "$gate"
      printf 'install-root=%s\n' "$install_root"
      printf 'cache=%s\n' "$cache"
      printf 'cache-dir=%s\n' "$cache_dir"
      printf 'cache-key=%s\n' "$key"
    } >>"$GITHUB_OUTPUT"
  fi
  exit 0
fi

finish() { # $1 = directory holding the binary, $2 = source
  local dir="$1" source="$2" path
  path="${dir}/${bin}${exe}"
  case "$path" in *$'\n'* | *$'\r'*) die "install path contains a line break" ;; esac
  "$path" --version >/dev/null 2>&1 || log "note: '${bin} --version' did not succeed (continuing)"
  log "using ${path} (${source})"
  if [ -n "${GITHUB_OUTPUT:-}" ]; then
    {
      printf 'path=%s\n' "$path"
      printf 'dir=%s\n' "$dir"
      printf 'source=%s\n' "$source"
    } >>"$GITHUB_OUTPUT"
  fi
  if [ -n "${GITHUB_PATH:-}" ]; then
    native_path "$dir" >>"$GITHUB_PATH"
  fi
  exit 0
}

# --- 1. a prebuilt binary handed in (local CI, act) -----------------------------
if [ -n "${GATES_BIN_DIR:-}" ]; then
  if [ -x "${GATES_BIN_DIR}/${bin}${exe}" ]; then
    dir="$(cd "$GATES_BIN_DIR" && pwd)"
    finish "$dir" prebuilt
  fi
  log "GATES_BIN_DIR has no ${bin}${exe}; ignoring it"
fi

# Whatever is in the install root's bin dir was not verified by this run (an
# old cache layout, an earlier step): it is never run, only replaced.
rm -rf "${install_root:?}/bin/${bin}${exe}" || die "cannot clear the install directory"

# Extracts the binary of a verified archive into the install root. Every
# command is checked: its callers run in `||` context, where `set -e` is off.
install_archive() { # $1 = verified archive
  local tmp
  tmp="$(mktemp -d)" || die "cannot create a temporary directory"
  tar -xzf "$1" -C "$tmp" || die "cannot extract ${asset}"
  if [ ! -f "${tmp}/${bin}${exe}" ] || [ -L "${tmp}/${bin}${exe}" ]; then
    die "${asset} does not contain ${bin}${exe}"
  fi
  mkdir -p "${install_root}/bin" || die "cannot create the install directory"
  mv -f "${tmp}/${bin}${exe}" "${install_root}/bin/${bin}${exe}" || die "cannot install ${bin}${exe}"
  chmod +x "${install_root}/bin/${bin}${exe}" || die "cannot make ${bin}${exe} executable"
  rm -rf "$tmp"
}

# --- 2. the cached release archive, re-verified against the manifest -----------
try_cache() {
  local cached="${cache_dir}/${asset}" actual
  [ -e "$cached" ] || [ -L "$cached" ] || return 1
  actual=""
  if [ -f "$cached" ] && [ ! -L "$cached" ]; then actual="$(sha256_of "$cached")" || actual=""; fi
  if [ "$actual" != "$expected" ]; then
    # Our own text only: the archive's name is built from validated values.
    warn "the cached ${asset} does not match its sha256 in the committed manifest: discarded, not run (installing without the cache)"
    rm -rf "$cached"
    return 1
  fi
  log "cached ${asset}: sha256 verified against the manifest: ${actual}"
  install_archive "$cached"
  finish "${install_root}/bin" cache
}

# --- 3. release asset, verified against the committed manifest ------------------
try_release() {
  local url tmp actual
  url="${release_url%/}/${version}/${asset}"
  tmp="$(mktemp -d)" || die "cannot create a temporary directory"
  log "downloading ${url}"
  if ! curl --proto "$release_proto" --tlsv1.2 -fsSL --retry 3 --retry-delay 2 -o "${tmp}/${asset}" "$url"; then
    log "download failed; building from source instead"
    rm -rf "$tmp"
    return 1
  fi
  actual="$(sha256_of "${tmp}/${asset}")"
  if [ "$actual" != "$expected" ]; then
    rm -rf "$tmp"
    # A mismatch is never papered over by a fallback build.
    die "sha256 mismatch for ${asset}: manifest ${expected}, downloaded ${actual}"
  fi
  log "sha256 verified: ${actual}"
  install_archive "${tmp}/${asset}"
  # Kept for actions/cache: the next run verifies it again before using it.
  if ! { mkdir -p "$cache_dir" && mv -f "${tmp}/${asset}" "${cache_dir}/${asset}"; }; then
    log "note: could not keep ${asset} for the cache (continuing)"
  fi
  rm -rf "$tmp"
  finish "${install_root}/bin" release
}

if [ "$has_release" = true ]; then
  command -v sha256sum >/dev/null 2>&1 || command -v shasum >/dev/null 2>&1 ||
    die "neither sha256sum nor shasum is available to verify the archive"
  try_cache || true
  try_release || true
fi

# --- 4. fallback: build from the action's own checkout --------------------------
# Installed under the install root, outside the cache directory: a source build
# is never saved to or restored from the cache.
crate_dir="${action_root}/crates/${bin}"
[ -f "${crate_dir}/Cargo.toml" ] || die "no crate at ${crate_dir}: is '${gate}' a gate of this release?"
if [ -n "${GATES_VERSION:-}" ] && [ "${GATES_VERSION}" != "${GATES_ACTION_REF:-}" ]; then
  log "note: building the action's own checkout (ref '${GATES_ACTION_REF:-local}'), not '${GATES_VERSION}': pin the action at that ref to build that version"
fi
command -v cargo >/dev/null 2>&1 || die "cargo is not installed and no prebuilt ${bin} is available for ${os}/${arch} at '${version:-local}'"
cargo_args=(install --locked --path "$crate_dir" --root "$install_root")
case "${GATES_INSTALL_DEBUG:-}" in true | 1) cargo_args+=(--debug) ;; esac
log "building ${bin} from source: cargo ${cargo_args[*]}"
cargo "${cargo_args[@]}"
finish "${install_root}/bin" source
