"""The yardstick: Python junitparser parses the same file and counts
passed / failed / skipped, printing the failures' messages (what a
hand-written CI gate built on it would do)."""
import sys
from junitparser import JUnitXml, Failure, Error, Skipped

xml = JUnitXml.fromfile(sys.argv[1])
passed = failed = skipped = 0
for suite in xml:
    for case in suite:
        r = case.result
        if any(isinstance(x, (Failure, Error)) for x in r):
            failed += 1
            for x in r:
                print(f"{case.classname}::{case.name}: {x.message}")
        elif any(isinstance(x, Skipped) for x in r):
            skipped += 1
        else:
            passed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
sys.exit(1 if failed else 0)
