#!/bin/sh
# expected-tefy.poetry.json: the independent Python matcher of the shared OSV
# subset (../shared/fixtures/advisories/osv-subset/match.py) run on the
# packages of crates/gates-lockfile/tests/data/lockfiles/tefy.poetry.lock, read
# with tomllib and written as name==version requirements.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
lock=$here/../../../../gates-lockfile/tests/data/lockfiles/tefy.poetry.lock
tmp=$(mktemp -d)
python3 -c "import sys,tomllib; d=tomllib.load(open(sys.argv[1],'rb')); open(sys.argv[2],'w').write(''.join(p['name']+'=='+p['version']+chr(10) for p in d['package']))" "$lock" "$tmp/tefy.requirements.txt"
python3 "$here/../../../../../../shared/fixtures/advisories/osv-subset/match.py" --out "$tmp" "$tmp/tefy.requirements.txt"
cp "$tmp/tefy.json" "$here/expected-tefy.poetry.json"
