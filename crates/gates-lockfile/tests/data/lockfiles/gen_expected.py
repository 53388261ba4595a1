#!/usr/bin/env python3
"""Independent expectations for crates/gate-core/tests/lockfiles_real.rs.

Reads each real lockfile in this directory with Python's own parsers
(json, tomllib, PyYAML) or a few lines of text handling written from the
format's documentation, never with the Rust code under test, and writes
expected.json: per file, the sorted (name, version, dev) triples the
lockfile locks from a registry, plus the direct dependency names where the
format records them. Run from this directory: python3 gen_expected.py
"""
import json
import re
import tomllib

import yaml

out = {}


def put(name, pkgs, direct=None):
    out[name] = {
        "packages": sorted([list(p) for p in set(pkgs)]),
        "direct": sorted(direct) if direct is not None else None,
    }


# yarn classic: an entry header at column 0, `  version "x"` below it
def yarn_classic(path):
    pkgs, name = [], None
    for line in open(path):
        if line and not line[0].isspace() and not line.startswith("#") and line.rstrip().endswith(":"):
            first = line.split(",")[0].strip().strip(":").strip('"')
            name = first[: first.rindex("@")] if first.rindex("@") > 0 else first
        m = re.match(r'^  version "(.+)"$', line.rstrip("\n"))
        if m and name:
            pkgs.append((name, m.group(1), False))
    return pkgs


put("bifrost.yarn.lock", yarn_classic("bifrost.yarn.lock"))


def berry(path):
    doc = yaml.safe_load(open(path))
    pkgs, direct = [], []
    for key, e in doc.items():
        if key == "__metadata":
            continue
        res = e["resolution"]
        name, ref = res[: res.index("@", 1)], res[res.index("@", 1) + 1 :]
        if ref.startswith("workspace:"):
            direct += list((e.get("dependencies") or {}).keys())
        elif ref.startswith("npm:"):
            pkgs.append((name, str(e["version"]), False))
    return pkgs, direct


for f in ["toposort.yarn.lock", "amdlite.yarn.lock"]:
    put(f, *berry(f))


def pnpm9(path):
    doc = yaml.safe_load(open(path))
    imp = doc["importers"]["."]
    prod = set((imp.get("dependencies") or {}).keys())
    devs = set((imp.get("devDependencies") or {}).keys())
    # reachability over snapshots for the dev flag
    def name_ver(k):
        k = k.split("(")[0]
        i = k.index("@", 1)
        return k[:i], k[i + 1 :]

    snaps = {name_ver(k): v or {} for k, v in doc["snapshots"].items()}

    def reach(names, section):
        seen, todo = set(), [(n, str(section[n]["version"])) for n in names]
        while todo:
            nv = todo.pop()
            if nv in seen:
                continue
            seen.add(nv)
            for dn, dv in (snaps.get(nv, {}).get("dependencies") or {}).items():
                todo.append((dn, str(dv).split("(")[0]))
        return seen

    p = reach(prod, imp.get("dependencies") or {})
    d = reach(devs, imp.get("devDependencies") or {})
    pkgs = [(n, v, (n, v) in d and (n, v) not in p) for n, v in map(name_ver, doc["packages"].keys())]
    return pkgs, list(prod | devs)


put("kp-websocket.pnpm-lock.yaml", *pnpm9("kp-websocket.pnpm-lock.yaml"))

doc = tomllib.load(open("tefy.poetry.lock", "rb"))
put("tefy.poetry.lock", [(p["name"], p["version"], p.get("category") == "dev") for p in doc["package"]])

doc = tomllib.load(open("pyspark.uv.lock", "rb"))
roots = [p for p in doc["package"] if "editable" in p["source"] or "virtual" in p["source"]]
by = {p["name"]: p for p in doc["package"]}


def reach(names):
    seen, todo = set(), list(names)
    while todo:
        n = todo.pop()
        if n in seen:
            continue
        seen.add(n)
        todo += [d["name"] for d in by[n].get("dependencies", [])]
    return seen


prod = reach([d["name"] for r in roots for d in r.get("dependencies", [])])
dev = reach([d["name"] for r in roots for g in r.get("dev-dependencies", {}).values() for d in g])
put(
    "pyspark.uv.lock",
    [(p["name"], p["version"], p["name"] in dev and p["name"] not in prod) for p in doc["package"] if p not in roots],
    [d["name"] for r in roots for d in r.get("dependencies", [])]
    + [d["name"] for r in roots for g in r.get("dev-dependencies", {}).values() for d in g],
)

doc = json.load(open("azfunc.Pipfile.lock"))
default = {(n, e["version"][2:]) for n, e in doc["default"].items()}
put(
    "azfunc.Pipfile.lock",
    [(n, v, False) for n, v in default]
    + [(n, e["version"][2:], True) for n, e in doc["develop"].items() if (n, e["version"][2:]) not in default],
)


def gomod(path):
    pkgs, direct, block = [], [], False
    for line in open(path):
        s = line.strip()
        if s.startswith("require ("):
            block = True
            continue
        if block and s == ")":
            block = False
            continue
        if block or s.startswith("require "):
            words = s.replace("require ", "").split()
            pkgs.append((words[0], words[1], False))
            if "// indirect" not in s:
                direct.append(words[0])
    return pkgs, direct


for f in ["packed/go.mod", "omega/go.mod", "zhihu/go.mod"]:
    put(f, *gomod(f))


def gemfile(path):
    pkgs, direct, section, specs = [], [], None, False
    for line in open(path):
        line = line.rstrip("\n")
        if line and not line[0].isspace():
            section, specs = line, False
            continue
        if section == "GEM" and line == "  specs:":
            specs = True
        elif section == "GEM" and specs and re.match(r"^    \S", line):
            m = re.match(r"^    (\S+) \(([^)]+)\)$", line)
            pkgs.append((m.group(1), m.group(2).split("-")[0], False))
        elif section == "DEPENDENCIES" and line.startswith("  "):
            direct.append(line.split()[0].rstrip("!"))
    return pkgs, direct


put("T.Gemfile.lock", *gemfile("T.Gemfile.lock"))

doc = json.load(open("tickets.composer.lock"))
put(
    "tickets.composer.lock",
    [(p["name"], p["version"], False) for p in doc["packages"]]
    + [(p["name"], p["version"], True) for p in doc["packages-dev"]],
)

with open("expected.json", "w") as f:
    json.dump(out, f, indent=1, sort_keys=True)
    f.write("\n")
