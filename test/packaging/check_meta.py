#!/usr/bin/env python3
"""check_meta.py META.json booking.control CHANGELOG.md SQLDIR: the release
metadata agree (test/packaging/run, parts 1 and 2)."""
import json
import pathlib
import re
import sys

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$")
# PGXN's license strings (meta-spec 1.0.0, "license")
LICENSES = {"agpl_3", "apache_1_1", "apache_2_0", "artistic_1", "artistic_2", "bsd", "freebsd",
            "gfdl_1_2", "gfdl_1_3", "gpl_1", "gpl_2", "gpl_3", "lgpl_2_1", "lgpl_3_0", "mit",
            "mozilla_1_0", "mozilla_1_1", "openssl", "perl_5", "postgresql", "qpl_1_0", "ssleay",
            "sun", "zlib", "open_source", "restricted", "unrestricted", "unknown"}

problems = []


def check(ok, message):
    if not ok:
        problems.append(message)


def main():
    meta_path, control_path, changelog_path, sql_dir = map(pathlib.Path, sys.argv[1:5])
    try:
        meta = json.loads(meta_path.read_text())
    except ValueError as e:
        sys.exit(f"packaging: FAIL: {meta_path} is not valid JSON: {e}")

    # 1. meta-spec 1.0.0's required keys
    for key in ("name", "abstract", "maintainer", "version", "license", "provides", "meta-spec"):
        check(key in meta, f"{meta_path}: required key {key!r} missing")
    check(isinstance(meta.get("name"), str) and re.fullmatch(r"[A-Za-z0-9_-]{2,}", meta.get("name", "")),
          f"{meta_path}: name must be 2 or more letters, digits, _ or -")
    check(isinstance(meta.get("abstract"), str) and meta.get("abstract"), f"{meta_path}: abstract is empty")
    check(isinstance(meta.get("maintainer"), (str, list)) and meta.get("maintainer"),
          f"{meta_path}: maintainer is empty")
    license_ = meta.get("license")
    check(isinstance(license_, (str, list, dict)) and license_, f"{meta_path}: license is empty")
    if isinstance(license_, str):
        check(license_ in LICENSES, f"{meta_path}: license {license_!r} is not one of PGXN's strings")
    check(SEMVER.match(str(meta.get("version", ""))), f"{meta_path}: version {meta.get('version')!r} is not semver")
    spec = meta.get("meta-spec", {})
    check(isinstance(spec, dict) and spec.get("version") == "1.0.0",
          f"{meta_path}: meta-spec.version must be 1.0.0")
    provides = meta.get("provides", {})
    check(isinstance(provides, dict) and provides, f"{meta_path}: provides is empty")
    for ext, p in (provides.items() if isinstance(provides, dict) else []):
        check(isinstance(p, dict) and "file" in p and "version" in p,
              f"{meta_path}: provides.{ext} needs file and version")
        check(SEMVER.match(str(p.get("version", ""))), f"{meta_path}: provides.{ext}.version is not semver")
        check((meta_path.parent / p.get("file", "")).is_file(),
              f"{meta_path}: provides.{ext}.file {p.get('file')!r} does not exist")
        if "docfile" in p:
            check((meta_path.parent / p["docfile"]).is_file(),
                  f"{meta_path}: provides.{ext}.docfile {p['docfile']!r} does not exist")

    # 2. one version everywhere
    control = control_path.read_text()
    m = re.search(r"^\s*default_version\s*=\s*'([^']+)'", control, re.M)
    check(m is not None, f"{control_path}: no default_version")
    default = m.group(1) if m else "?"
    as_semver = default if default.count(".") == 2 else default + ".0"
    booking = provides.get("booking", {}) if isinstance(provides, dict) else {}
    check(meta.get("version") == as_semver,
          f"{meta_path}: version {meta.get('version')!r}, but {control_path} says {default!r} ({as_semver})")
    check(booking.get("version") == as_semver,
          f"{meta_path}: provides.booking.version {booking.get('version')!r}, but {control_path} says {default!r}")

    headings = re.findall(r"^## (\d+\.\d+(?:\.\d+)?)\b", changelog_path.read_text(), re.M)
    check(headings, f"{changelog_path}: no '## <version>' entry")
    if headings:
        newest = headings[0] if headings[0].count(".") == 2 else headings[0] + ".0"
        check(newest == as_semver,
              f"{changelog_path}: newest entry is {headings[0]}, but {control_path} says {default}")
        check(headings == sorted(headings, key=lambda v: tuple(map(int, v.split("."))), reverse=True),
              f"{changelog_path}: entries are not newest first: {headings}")
    reached = set()
    for script in sql_dir.glob("booking--*.sql"):
        versions = script.stem.split("--")[1:]
        reached.add(versions[-1])
    listed = {h if h.count(".") == 1 else h.rsplit(".", 1)[0] for h in headings}
    for v in sorted(reached):
        check(v in listed, f"{changelog_path}: no entry for version {v}, which sql/ installs or reaches")

    if problems:
        print("\n".join(f"packaging: FAIL: {p}" for p in problems), file=sys.stderr)
        sys.exit(1)
    print(f"packaging: META.json valid (meta-spec 1.0.0); version {as_semver} in META.json, "
          f"booking.control ({default}) and CHANGELOG.md; changelog covers {', '.join(sorted(reached))}")


if __name__ == "__main__":
    main()
