#!/usr/bin/env python3
"""check_archive.py ZIP TREE DEST: the archive `make dist` wrote holds the
extension as PGXN wants it (test/packaging/run, part 3), and is unpacked
into DEST for the build that follows.  TREE is the clone it was made from."""
import json
import pathlib
import subprocess
import sys
import zipfile


def main():
    archive, tree, dest = map(pathlib.Path, sys.argv[1:4])
    problems = []
    meta = json.loads((tree / "META.json").read_text())
    top = f"{meta['name']}-{meta['version']}"
    if archive.name != f"{top}.zip":
        problems.append(f"the archive is {archive.name}, PGXN wants {top}.zip")
    with zipfile.ZipFile(archive) as z:
        names = z.namelist()
        outside = [n for n in names if not n.startswith(top + "/")]
        if outside:
            problems.append(f"not under {top}/: {outside[:5]}")
        inside = {n[len(top) + 1:] for n in names if n.startswith(top + "/")}
        tracked = subprocess.run(["git", "-C", str(tree), "ls-files", "sql", "src"], check=True,
                                 capture_output=True, text=True).stdout.split()
        wanted = ["META.json", "booking.control", "Makefile", "README.md", "CHANGELOG.md"] + tracked
        missing = [f for f in wanted if f not in inside]
        if missing:
            problems.append(f"missing from the archive: {missing}")
        if not any(f.startswith("sql/") and f.endswith(".sql") for f in inside):
            problems.append("no sql/*.sql in the archive")
        if not any(f.startswith("src/") and f.endswith(".c") for f in inside):
            problems.append("no src/*.c in the archive")
        # what `make installcheck` runs: every regression file and spec, with
        # its expected output in expected/ at the top
        tests = subprocess.run(["git", "-C", str(tree), "ls-files", "test/sql/*.sql", "test/specs/*.spec"],
                               check=True, capture_output=True, text=True).stdout.split()
        missing = [f for f in tests if f not in inside]
        missing += [f"expected/{pathlib.Path(f).stem}.out" for f in tests
                    if f"expected/{pathlib.Path(f).stem}.out" not in inside]
        if missing:
            problems.append(f"missing from the archive (make installcheck needs them): {missing}")
        if not tests:
            problems.append("no test/sql/*.sql or test/specs/*.spec in the tree")
        if "META.json" in inside and json.loads(z.read(f"{top}/META.json")) != meta:
            problems.append("the archive's META.json differs from the tree's")
        z.extractall(dest)
    if problems:
        print("\n".join(f"packaging: FAIL: {p}" for p in problems), file=sys.stderr)
        sys.exit(1)
    print(f"packaging: {archive.name}: {len(names)} entries under {top}/, with META.json, booking.control, "
          f"the Makefile, {sum(f.startswith('sql/') for f in inside)} sql/ and "
          f"{sum(f.startswith('src/') for f in inside)} src/ files, "
          f"{len(tests)} tests with their expected/ output")


if __name__ == "__main__":
    main()
