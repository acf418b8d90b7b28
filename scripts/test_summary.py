#!/usr/bin/env python3
"""Counts the results in a meson testlog.json and prints one summary line; with --failures, also
the end of each failed test's output.

CI shows only the tail of what scripts/test.sh prints, so test.sh calls this again at the very
end: the reason for a red run must be there, not hundreds of lines above it.

    test_summary.py LABEL build/meson-logs/testlog.json [--failures [LINES]]
"""
import json
import sys


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    label, path = argv[1], argv[2]
    tail = 0
    if len(argv) > 3 and argv[3] == "--failures":
        tail = int(argv[4]) if len(argv) > 4 else 40
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            results = [json.loads(line) for line in f if line.strip()]
    except OSError as e:
        print(f"{label}: no test log ({e.strerror}: {path})")
        return 1
    passed = [r for r in results if r.get("result") in ("OK", "EXPECTEDFAIL")]
    skipped = [r for r in results if r.get("result") == "SKIP"]
    failed = [r for r in results if r not in passed and r not in skipped]
    line = f"{label}: {len(passed)} passed, {len(failed)} failed, {len(skipped)} skipped"
    if failed:
        line += " (failed: " + ", ".join(r["name"].split(" / ")[-1] for r in failed) + ")"
    print(line)
    for r in failed if tail else []:
        print(f"--- {r['name']}: {r.get('result')}, exit {r.get('returncode')}, "
              f"{r.get('duration', 0):.1f} s; the last {tail} lines of its output:")
        out = (r.get("stdout") or "") + (r.get("stderr") or "")
        for text in out.splitlines()[-tail:]:
            print("    " + text)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
