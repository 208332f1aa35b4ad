#!/usr/bin/env python3
"""Makes data/sample/job_architecture.csv: a made-up job architecture built from public data.

Titles are OaSIS 2023 example titles and profile labels (data/oasis/), a few changed the way
HR spreadsheets change them ("Sr.", "II", "- Team Lead"); NOC 2016 codes come from the shipped
concordance (data/crosswalk/noc_2021_2016.csv). Job functions, families and managerial levels
are made up for the sample. Deterministic: the same data gives the same file.

Usage: python3 scripts/make_sample_architecture.py [--output PATH]
"""
import argparse
import csv
import random
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"

# Made up for the sample: a job function per NOC broad category, and families within it.
FUNCTIONS = {
    "0": ("Executive Leadership", ["Executive Office", "Public Affairs", "Operations Leadership"]),
    "1": ("Corporate Services", ["Finance", "Human Resources", "Administration", "Procurement"]),
    "2": ("Science and Technology", ["Information Technology", "Engineering", "Research"]),
    "3": ("Health Services", ["Clinical Care", "Allied Health", "Health Support"]),
    "4": ("Policy, Programs and Legal", ["Policy", "Legal Services", "Education and Training", "Social Programs"]),
    "5": ("Communications and Culture", ["Communications", "Creative Services", "Heritage"]),
    "6": ("Client Services", ["Client Service", "Sales", "Hospitality"]),
    "7": ("Trades and Transportation", ["Maintenance Trades", "Fleet and Transport", "Construction"]),
    "8": ("Natural Resources", ["Field Operations", "Agriculture", "Fisheries"]),
    "9": ("Manufacturing and Utilities", ["Plant Operations", "Quality Assurance", "Utilities"]),
}

# A few French titles, translated by hand for the sample (OaSIS French files are not shipped).
FRENCH = {
    "Data scientist": "Scientifique des données",
    "Financial managers": "Directeurs financiers / directrices financières",
    "Human resources managers": "Directeurs / directrices des ressources humaines",
    "Payroll administrators": "Administrateurs / administratrices de la paye",
    "Electricians (except industrial and power system)": "Électriciens / électriciennes",
    "Software developer": "Développeur / développeuse de logiciels",
}


def read_csv(path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def profile_code(raw):
    unit, _, suffix = raw.strip().partition(".")
    suffix = (suffix or "00")
    if len(suffix) == 1:
        suffix += "0"
    return unit.zfill(5) + "." + suffix


def managerial_level(title, unit_group, rng):
    lowered = title.lower()
    if unit_group.startswith("00"):
        return "Executive"
    if unit_group[1] == "0" or "manager" in lowered or "director" in lowered:
        return "Manager"
    if "supervisor" in lowered or "foreman" in lowered or "chief" in lowered:
        return "Supervisor"
    return rng.choice(["Individual Contributor", "Individual Contributor", "Team Lead"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--output", default=str(DATA / "sample" / "job_architecture.csv"))
    args = parser.parse_args()
    rng = random.Random(2023)

    labels = {profile_code(r["OaSIS profile code"]): r["Label"].strip() for r in read_csv(DATA / "oasis" / "labels_oasis_2023_v1.0.csv")}
    titles = defaultdict(list)
    for r in read_csv(DATA / "oasis" / "example-titles_oasis_2023_v1.0.csv"):
        titles[profile_code(r["OaSIS profile code"])].append((r["Job title text"].strip(), r["Job title type"].strip()))
    concordance = defaultdict(set)
    for r in read_csv(DATA / "crosswalk" / "noc_2021_2016.csv"):
        concordance[r["NOC2016"].strip().zfill(4)].add(r["NOC2021"].strip().zfill(5))
    by_unit_group = defaultdict(list)
    for code in sorted(labels):
        by_unit_group[code[:5]].append(code)
    reverse = defaultdict(list)
    for old, new in concordance.items():
        for code in new:
            reverse[code].append(old)

    rows = []

    def add(title, noc2021="", noc2016="", unit_group=None, notes="", french=""):
        unit_group = unit_group or noc2021 or next(iter(concordance.get(noc2016, {"00000"})))
        function, families = FUNCTIONS[unit_group[0]]
        family = families[int(unit_group[1:]) % len(families)]
        rows.append({
            "Job Title": title,
            "Job Title (FR)": french or FRENCH.get(title, ""),
            "Job Function": function,
            "Job Family": family,
            "Managerial Level": managerial_level(title, unit_group, rng),
            "NOC 2021": noc2021,
            "NOC 2016": noc2016,
            "Notes": notes,
            "Headcount": str(rng.randint(1, 40)),
        })

    unit_groups = sorted(by_unit_group)
    sampled = sorted(rng.sample(unit_groups, 170))
    # Exact OaSIS titles (Example first, some Index) and a few exact labels.
    for index, unit_group in enumerate(sampled):
        code = rng.choice(by_unit_group[unit_group])
        examples = [t for t, kind in titles[code] if kind == "Example"] or [t for t, _ in titles[code]]
        if index % 9 == 0:
            add(labels[code], noc2021=unit_group)
        elif index % 7 == 0:
            index_titles = [t for t, kind in titles[code] if kind == "Index"] or examples
            add(rng.choice(index_titles), noc2021=unit_group)
        else:
            add(rng.choice(examples), noc2021=unit_group)
    # Titles as HR spreadsheets write them: seniority, levels, case, extra words.
    changes = [lambda t: "Senior " + t, lambda t: t + " II", lambda t: "Sr. " + t, lambda t: t + " - Team Lead",
               lambda t: t.upper(), lambda t: t.title(), lambda t: "Lead " + t, lambda t: t + " (bilingual)"]
    for index, unit_group in enumerate(sorted(rng.sample(unit_groups, 70))):
        code = rng.choice(by_unit_group[unit_group])
        base = rng.choice([t for t, _ in titles[code]] or [labels[code]])
        add(changes[index % len(changes)](base), noc2021=unit_group)
    # In-house titles that match nothing of their unit group: the unit group's main profile.
    for title, unit_group in [("Ombudsperson", "41409"), ("Rainmaker", "10020"), ("Knowledge Broker", "41400"),
                              ("Pathfinder", "21221")]:
        add(title, noc2021=unit_group, notes="In-house title")
    # Only a NOC 2016 code: one-to-one mappings resolve, one-to-many stay unresolved.
    one_to_one = sorted(old for old, new in concordance.items() if len(new) == 1)
    for old in rng.sample(one_to_one, 20):
        unit_group = next(iter(concordance[old]))
        code = rng.choice(by_unit_group[unit_group])
        add(rng.choice([t for t, _ in titles[code]] or [labels[code]]), noc2016=old,
            notes="Legacy position: NOC 2016 code only")
    one_to_many = sorted(old for old, new in concordance.items() if len(new) > 1)
    for old in rng.sample(one_to_many, 6):
        unit_group = sorted(concordance[old])[0]
        code = by_unit_group[unit_group][0]
        add(rng.choice([t for t, _ in titles[code]] or [labels[code]]), noc2016=old,
            notes="Legacy position: NOC 2016 code only")
    # No code at all.
    for title in ["Chief of Staff", "Special Advisor to the Deputy Minister", "Innovation Lead", "Intern",
                  "Project Coordinator, Special Initiatives", "Data Steward", "Scrum Master",
                  "Accessibility Champion", "Business Continuity Planner", "Knowledge Management Officer"]:
        add(title, unit_group="11000", notes="No NOC code assigned yet")
    # Fields that need quoting: commas, quotes, line breaks.
    add("Senior managers - financial, communications and other business services", noc2021="00012",
        notes='Reports to the "Chief Financial Officer", per the 2024 org chart')
    add("Data scientist", noc2021="21211", notes="Hybrid role:\nanalytics and machine learning")
    add("Software developer", noc2021="21232", notes='Also known as "dev", "coder"')
    add("Payroll administrators", noc2021="13102", notes="Pay, benefits, and leave")
    add("Electricians (except industrial and power system)", noc2021="72200", notes="Facilities, Region 3")
    # Codes that are not NOC 2021 unit groups: reported and skipped by the import.
    add("Policy Analyst", noc2021="12345", notes="Typo in the code")
    add("Web Designer", noc2021="2175", notes="A NOC 2016 code in the NOC 2021 column")
    add("Communications Advisor", noc2021="99999", notes="Placeholder code")

    output = Path(args.output)
    output.parent.mkdir(parents=True, exist_ok=True)
    header = ["Job ID", "Job Title", "Job Title (FR)", "Job Function", "Job Family", "Managerial Level",
              "NOC 2021", "NOC 2016", "Notes", "Headcount"]
    with open(output, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\r\n")
        writer.writeheader()
        for index, row in enumerate(rows, start=1):
            writer.writerow({"Job ID": f"JA-{index:04d}", **row})
    print(f"{output}: {len(rows)} titles")


if __name__ == "__main__":
    main()
