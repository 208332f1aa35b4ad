#!/usr/bin/env python3
"""Copies data/ into a small data folder for the upgrade fixture (scripts/make-upgrade-fixture.sh).

Files are copied verbatim except that whole records (rows) are removed: headers, byte-order marks,
quoting, line ends and every kept record stay byte for byte as shipped. Kept:

- NOC structure: the kept unit groups and the classes above them;
- OaSIS files: the profiles of the kept unit groups (the guide whole);
- crosswalk: the rows of the kept unit groups (the NOC 2016 concordance whole);
- O*NET text release: occupations and ratings of the O*NET-SOC codes the kept unit groups map to;
- sample architecture: the titles listed in KEEP_TITLES;
- mappings: whole.

usage: fixture-trim-data.py SOURCE_DATA_FOLDER TARGET_FOLDER
"""
import csv
import io
import os
import shutil
import sys

KEEP_UNIT_GROUPS = {"00010", "00011", "10012", "21211", "21223"}
KEEP_TITLES = {
    "JA-0001",  # Legislators, 00010 (its O*NET code has no ratings)
    "JA-0002",  # purchasing contracts manager, 10012
    "JA-0181",  # Sr. quantitative analyst, 21211 (fuzzy)
    "JA-0265",  # NOC 2016 code only (2172)
    "JA-0266",  # NOC 2016 code only (2173)
    "JA-0263",  # NOC 2016 code only, unit group not in the trimmed data
    "JA-0271",  # no NOC code
    "JA-0276",  # no NOC code
    "JA-0277",  # no NOC code
    "JA-0282",  # Data scientist, French title, a quoted line break in Notes
    "JA-0286",  # a code that is not a unit group (skipped)
}


def raw_records(data: bytes):
    """Splits CSV bytes into raw records (line end included), honouring quoted line breaks."""
    records, start, quoted, i, n = [], 0, False, 0, len(data)
    while i < n:
        c = data[i]
        if c == 0x22:  # "
            quoted = not quoted
        elif c == 0x0A and not quoted:
            records.append(data[start:i + 1])
            start = i + 1
        i += 1
    if start < n:
        records.append(data[start:])
    return records


def first_field(record: bytes) -> str:
    text = record.decode("utf-8-sig")
    row = next(csv.reader(io.StringIO(text, newline="")), [""])
    return row[0].strip() if row else ""


def filter_csv(source, target, keep):
    with open(source, "rb") as f:
        records = raw_records(f.read())
    kept = [records[0]] + [r for r in records[1:] if keep(first_field(r))]
    with open(target, "wb") as f:
        f.write(b"".join(kept))
    return len(kept) - 1


def filter_tsv(source, target, keep):
    with open(source, "rb") as f:
        lines = f.read().splitlines(keepends=True)
    kept = [lines[0]] + [l for l in lines[1:] if keep(l.split(b"\t", 1)[0].decode("utf-8"))]
    with open(target, "wb") as f:
        f.write(b"".join(kept))
    return len(kept) - 1


def main():
    src, dst = sys.argv[1], sys.argv[2]
    if os.path.exists(dst):
        shutil.rmtree(dst)
    for sub in ["noc", "oasis", "crosswalk", "mappings", "sample", "onet/db_29_3_text"]:
        os.makedirs(os.path.join(dst, sub))
    counts = {}

    # NOC structure: level N codes are written without their leading zeros.
    def noc_keep_record(record: bytes) -> bool:
        text = record.decode("utf-8-sig")
        row = next(csv.reader(io.StringIO(text, newline="")))
        level, code = int(row[0]), row[2].strip().zfill(int(row[0]))
        return any(ug.startswith(code) for ug in KEEP_UNIT_GROUPS)

    with open(os.path.join(src, "noc/noc_structure_en.csv"), "rb") as f:
        records = raw_records(f.read())
    kept = [records[0]] + [r for r in records[1:] if noc_keep_record(r)]
    with open(os.path.join(dst, "noc/noc_structure_en.csv"), "wb") as f:
        f.write(b"".join(kept))
    counts["noc/noc_structure_en.csv"] = len(kept) - 1

    def profile_kept(code: str) -> bool:
        return code[:5] in KEEP_UNIT_GROUPS

    for name in sorted(os.listdir(os.path.join(src, "oasis"))):
        source, target = os.path.join(src, "oasis", name), os.path.join(dst, "oasis", name)
        if name.startswith("guide_"):
            shutil.copyfile(source, target)
            continue
        counts["oasis/" + name] = filter_csv(source, target, profile_kept)

    crosswalk_socs = set()
    with open(os.path.join(src, "crosswalk/noc2021_onet26.csv"), encoding="utf-8-sig", newline="") as f:
        for row in list(csv.reader(f))[1:]:
            if row[0].strip().zfill(5) in KEEP_UNIT_GROUPS:
                crosswalk_socs.add(row[2].strip())
    counts["crosswalk/noc2021_onet26.csv"] = filter_csv(
        os.path.join(src, "crosswalk/noc2021_onet26.csv"), os.path.join(dst, "crosswalk/noc2021_onet26.csv"),
        lambda code: code.zfill(5) in KEEP_UNIT_GROUPS)
    for name in ["noc_2021_2016.csv", "LICENSE"]:
        shutil.copyfile(os.path.join(src, "crosswalk", name), os.path.join(dst, "crosswalk", name))

    for name in os.listdir(os.path.join(src, "mappings")):
        shutil.copyfile(os.path.join(src, "mappings", name), os.path.join(dst, "mappings", name))

    counts["sample/job_architecture.csv"] = filter_csv(
        os.path.join(src, "sample/job_architecture.csv"), os.path.join(dst, "sample/job_architecture.csv"),
        lambda code: code in KEEP_TITLES)
    shutil.copyfile(os.path.join(src, "sample/job_architecture.mapping"), os.path.join(dst, "sample/job_architecture.mapping"))

    onet_src, onet_dst = os.path.join(src, "onet/db_29_3_text"), os.path.join(dst, "onet/db_29_3_text")
    per_code = {"Occupation Data.txt", "Skills.txt", "Knowledge.txt", "Abilities.txt", "Work Activities.txt",
                "Work Context.txt", "Job Zones.txt"}
    # 11-1011.00 (00011) is one of the two codes with abilities and work activities in the shipped files.
    socs = crosswalk_socs
    for name in sorted(os.listdir(onet_src)):
        if name in per_code:
            counts["onet/" + name] = filter_tsv(os.path.join(onet_src, name), os.path.join(onet_dst, name),
                                                lambda code: code in socs)
        else:
            shutil.copyfile(os.path.join(onet_src, name), os.path.join(onet_dst, name))
    for name in ["NOTICE.md"]:
        if os.path.exists(os.path.join(src, "onet", name)):
            shutil.copyfile(os.path.join(src, "onet", name), os.path.join(dst, "onet", name))
    if os.path.exists(os.path.join(src, "SOURCES.md")):
        shutil.copyfile(os.path.join(src, "SOURCES.md"), os.path.join(dst, "SOURCES.md"))

    for name, count in sorted(counts.items()):
        print(f"  {name}: {count} records kept")


if __name__ == "__main__":
    main()
