"""Writes a JUnit XML file with N testcases (default 50,000), in the shape
cargo-nextest and Surefire write: 100 suites, 1% failures with a message and
a body, 1% skipped, 0.5% flaky (flakyFailure), system-out on every 10th."""
import sys

n = int(sys.argv[2]) if len(sys.argv) > 2 else 50_000
out = open(sys.argv[1], "w", encoding="utf-8")
out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">\n')
per = n // 100
for s in range(100):
    out.write(f'  <testsuite name="suite{s}" tests="{per}">\n')
    for i in range(per):
        k = s * per + i
        out.write(f'    <testcase classname="pkg.mod{s}" name="test_{k}" file="src/mod{s}.rs" line="{i + 1}" time="0.{k % 1000:03d}">')
        if k % 100 == 1:
            out.write(f'<failure message="assertion failed: left == right &lt;{k}&gt;" type="panic">thread panicked at src/mod{s}.rs:{i + 1}\nleft: 1\nright: 2</failure>')
        elif k % 100 == 2:
            out.write('<skipped message="ignored"/>')
        elif k % 200 == 3:
            out.write('<flakyFailure message="first attempt" type="panic">retry</flakyFailure>')
        if k % 10 == 0:
            out.write(f'<system-out>running test_{k}\n</system-out>')
        out.write('</testcase>\n')
    out.write('  </testsuite>\n')
out.write('</testsuites>\n')
