#!/usr/bin/python3
"""check_docs.py DOC: the code that DOC (docs/drivers.md) quotes from the
examples is the code the examples run.

An example marks a region with two comment lines,
    # --8<-- [start:NAME]        (// in JavaScript)
    # --8<-- [end:NAME]
and DOC quotes it with a line
    <!-- snippet: test/drivers/FILE#NAME -->
followed by a fenced code block holding exactly the region's lines.  Fails
when a quoted block differs from its region (printing a diff), when DOC
names a file or region that does not exist, or when a region of an
example is quoted nowhere.  Paths are relative to the repository's root.
"""
import difflib
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
MARK = re.compile(r"^\s*(?:#|//) --8<-- \[(start|end):([\w-]+)\]\s*$")
SNIPPET = re.compile(r"^<!-- snippet: (\S+)#([\w-]+) -->\s*$")


def regions(path):
    """The named regions of an example: {name: [lines]}."""
    found, current = {}, None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        m = MARK.match(line)
        if not m:
            if current:
                found[current].append(line)
            continue
        kind, name = m.groups()
        if kind == "start":
            if current or name in found:
                sys.exit(f"{path}:{number}: region {name} starts inside another or twice")
            found[name], current = [], name
        else:
            if current != name:
                sys.exit(f"{path}:{number}: region {name} ends but {current} is open")
            current = None
    if current:
        sys.exit(f"{path}: region {current} never ends")
    return found


def main():
    doc = pathlib.Path(sys.argv[1])
    lines = doc.read_text().splitlines()
    examples = sorted((ROOT / "test" / "drivers").glob("*_example.*"))
    wanted = {(p.relative_to(ROOT).as_posix(), name) for p in examples for name in regions(p)}
    quoted, problems = set(), []
    i = 0
    while i < len(lines):
        m = SNIPPET.match(lines[i])
        i += 1
        if not m:
            continue
        source, name = m.groups()
        path = ROOT / source
        if not path.is_file() or name not in regions(path):
            problems.append(f"{doc}:{i}: {source}#{name} does not exist")
            continue
        while i < len(lines) and not lines[i].strip():
            i += 1
        if i >= len(lines) or not lines[i].startswith("```"):
            problems.append(f"{doc}:{i}: a snippet line must be followed by a fenced code block")
            continue
        start = i + 1
        end = start
        while end < len(lines) and not lines[end].startswith("```"):
            end += 1
        block = lines[start:end]
        region = regions(path)[name]
        if block != region:
            diff = "\n".join(difflib.unified_diff(region, block, f"{source}#{name}",
                                                  f"{doc} line {start + 1}", lineterm=""))
            problems.append(f"{doc}:{start + 1}: the quote of {source}#{name} differs from the file:\n{diff}")
        quoted.add((source, name))
        i = end + 1
    for source, name in sorted(wanted - quoted):
        problems.append(f"{doc}: {source}#{name} is quoted nowhere")
    if problems:
        print("\n".join(problems), file=sys.stderr)
        sys.exit(1)
    print(f"drivers: {doc.name} quotes {len(quoted)} regions of {len(examples)} examples, each as it is in its file")


if __name__ == "__main__":
    main()
