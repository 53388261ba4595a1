#!/usr/bin/env bash
# Runs one gate binary with the action's inputs. Shared by every action under
# actions/ and by the root action.yml; run it as
#
#   env -u BASH_ENV -u ENV bash --noprofile --norc -euo pipefail run.sh
#
# Environment (set by the composite action through `env:`, never `${{ }}` in `run:`):
#   GATES_RUN_GATE   gate name, e.g. `coverage` (required)
#   GATES_RUN_BIN    path of the binary (install.sh's `path` output); default gate-<name> on PATH
#   GATES_RUN_ARGS   extra arguments, one per line (no shell parsing, no eval)
#   GATES_*          every other GATES_ variable is the gate's configuration
#                    (GATES_<GATE>_<KEY>, GATES_FORMAT, GATES_FAIL_ON, ...);
#                    an empty one means "input not given" and is removed so the
#                    config file or the default applies.
#   GITHUB_TOKEN     the `token` input; read by the binary, never printed here.
#   GITHUB_EVENT_NAME  set by the runner: on pull-request events a local ledger
#                    (GATES_LEDGER=local, or auto without a token) is warned about.
#
# The binary's exit code is the step's exit code (0 pass, 1 fail, 2 usage,
# 3 config, 4 input, 5 upstream, 70 internal).
set -euo pipefail
unset BASH_ENV ENV

gate="${GATES_RUN_GATE:-}"
case "$gate" in
  '' | *[!a-z0-9-]* | -*)
    printf '::error title=gates::invalid gate name: expected lower-case letters, digits and -\n'
    exit 2
    ;;
esac
bin="${GATES_RUN_BIN:-}"
[ -n "$bin" ] || bin="gate-${gate}"

# Extra arguments: one per line, blank lines skipped, CR stripped. Each line is
# one argument exactly as written (no word splitting, no globbing, no eval).
args=()
if [ -n "${GATES_RUN_ARGS:-}" ]; then
  while IFS= read -r line || [ -n "$line" ]; do
    line="${line%$'\r'}"
    case "$line" in *[![:space:]]*) ;; *) continue ;; esac
    args+=("$line")
  done <<<"$GATES_RUN_ARGS"
fi
# Our own plumbing is not gate configuration.
unset GATES_RUN_GATE GATES_RUN_BIN GATES_RUN_ARGS GATES_RUN_SCRIPT GATES_BIN_DIR

# An action input left blank arrives as an empty variable: drop it.
for name in $(compgen -e); do
  case "$name" in
    GATES_*) if [ -z "${!name}" ]; then unset "$name"; fi ;;
  esac
done
if [ -z "${GITHUB_TOKEN:-}" ]; then unset GITHUB_TOKEN; fi

# On a pull request, .gates/ is the pull request's: a local ledger there would
# read baselines (the base commit's report, the last deployment) that the
# change under review can forge. The actions default to the GitHub ledger;
# say so when a workflow chose the local one (our own text only).
case "${GITHUB_EVENT_NAME:-}" in
  pull_request | pull_request_target | pull_request_review | pull_request_review_comment)
    local_ledger=false
    case "${GATES_LEDGER:-}" in
      local) local_ledger=true ;;
      '' | auto) if [ -z "${GITHUB_TOKEN:-}" ]; then local_ledger=true; fi ;;
    esac
    if [ "$local_ledger" = true ]; then
      printf '::warning title=gates::the local ledger (.gates/) is in use on a pull request: the pull request controls it, so a baseline read from it (max-drop, the last deployment) is not evidence; use the GitHub ledger (ledger: github, the default)\n'
    fi
    ;;
esac

# ${args[@]+...}: bash 3.2 treats an empty array as unset under `set -u`.
exec "$bin" ${args[@]+"${args[@]}"}
