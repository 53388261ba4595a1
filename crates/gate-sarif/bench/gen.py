# Makes a ~100 MB SARIF 2.1.0 log from zizmor's real results (zizmor-after.sarif),
# each copy on its own file uri and line, so nothing de-duplicates.
import json, sys, copy
src = json.load(open(sys.argv[1]))
run = src["runs"][0]
base = run["results"]
out = []
i = 0
target = int(sys.argv[3])
size = 0
while size < target:
    for r in base:
        r = copy.deepcopy(r)
        pl = r["locations"][0]["physicalLocation"]
        pl["artifactLocation"]["uri"] = f"wf{i // 1000}/ci{i}.yml"
        pl["region"]["startLine"] += i % 500
        out.append(r)
        size += len(json.dumps(r))
        i += 1
run["results"] = out
json.dump(src, open(sys.argv[2], "w"))
print(len(out), "results")
