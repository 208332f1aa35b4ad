#!/usr/bin/env python3
"""Generates data/mappings/onet_oasis_descriptors.csv: O*NET content-model elements -> OaSIS descriptors.

Each rated O*NET element (Abilities 1.A, Skills 2.A/2.B, Knowledge 2.C, Work Activities 4.A) gets
at most one OaSIS descriptor of the matching OaSIS category, and each OaSIS descriptor at most one
O*NET element (so that two O*NET values never compete for the same cell). How a pair was found:

  exact       same name, ignoring case and surrounding spaces
  normalized  same words after normalization (case, punctuation, hyphens, '&' = 'and', word order)
  manual      reviewed pair from MANUAL below (different names, same construct: definitions compared)
  none        no OaSIS twin: the element becomes an O*NET-only descriptor (`ONET:<element id>`)

REJECTED lists automatic matches a reviewer turned down. Re-run after a new O*NET or OaSIS release
and review the diff:  python3 scripts/generate_onet_mapping.py > data/mappings/onet_oasis_descriptors.csv
"""
import csv
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ONET = ROOT / "data/onet/db_29_3_text"
GUIDE = ROOT / "data/oasis/guide_oasis_2023_v1.0.csv"

# O*NET element-id prefix -> (O*NET category, OaSIS category)
CATEGORIES = [
    ("1.A.", "Abilities", "Abilities"),
    ("2.A.", "Skills", "Skills"),
    ("2.B.", "Skills", "Skills"),
    ("2.C.", "Knowledge", "Knowledge"),
    ("4.A.", "Work Activities", "Work Activities"),
]

# Reviewed pairs: O*NET element -> (OaSIS code, why). Definitions of both sides were compared.
MANUAL = {
    # Abilities
    "1.A.1.a.1": ("F01a02", "OaSIS moved Oral Comprehension to Skills (Oral Communication: Oral Comprehension)"),
    "1.A.1.b.3": ("A01a06", "Problem Sensitivity = recognizing that there is a problem, not solving it"),
    "1.A.1.b.7": ("A01a02", "Category Flexibility renamed Categorization Flexibility"),
    "1.A.1.c.2": ("A01b01", "Number Facility = Numerical Ability"),
    "1.A.1.d.1": ("A01c01", "Memorization = Memorizing"),
    "1.A.1.e.1": ("A01c04", "Speed of Closure: quickly organize information into meaningful patterns"),
    "1.A.1.e.2": ("A01c03", "Flexibility of Closure: detect a known pattern hidden in distracting material"),
    "1.A.1.f.2": ("A01d02", "Visualization = Spatial Visualization"),
    "1.A.1.g.2": ("A01c02", "Time Sharing: same definition as Multitasking"),
    "1.A.2.b.1": ("A03b03", "Control Precision: adjust the controls of a machine to exact positions"),
    "1.A.2.b.3": ("A03b04", "Response Orientation: choose between movements in response to several signals"),
    "1.A.2.c.2": ("A03c03", "Wrist-Finger Speed = Finger-Hand-Wrist Motion"),
    "1.A.3.c.1": ("A02b04", "Extent Flexibility = Body Flexibility"),
    "1.A.4.a.3": ("A04c01", "Visual Color Discrimination = Colour Perception"),
    "1.A.4.a.7": ("A04b05", "Glare Sensitivity = Glare Tolerance"),
    # Skills
    "2.A.1.b": ("F01a01", "Active Listening = Oral Communication: Active Listening"),
    "2.A.1.d": ("F01a03", "Speaking = Oral Communication: Oral Expression"),
    "2.A.1.e": ("F01c01", "Mathematics (skill) = Numeracy"),
    "2.A.2.c": ("F02a02", "Learning Strategies = Learning and Teaching Strategies"),
    "2.B.1.b": ("F05a01", "Coordination = Coordinating"),
    "2.B.1.c": ("F05a04", "Persuasion = Persuading"),
    "2.B.1.d": ("F05a03", "Negotiation = Negotiating"),
    "2.B.2.i": ("F02b05", "Complex Problem Solving = Problem Solving"),
    "2.B.3.a": ("F02b02", "Operations Analysis: analyze needs and requirements to create a design"),
    "2.B.3.b": ("F03a09", "Technology Design = Product Design"),
    "2.B.3.c": ("F03a01", "Equipment Selection = Equipment and Tool Selection"),
    "2.B.3.d": ("F03a03", "Installation: install equipment to specifications = Setting Up"),
    "2.B.3.e": ("F03a10", "Programming: nearest OaSIS construct is Digital Production"),
    "2.B.3.g": ("F03a05", "Operations Monitoring = Operation Monitoring of Machinery and Equipment"),
    "2.B.3.j": ("F03a02", "Equipment Maintenance = Preventative Maintenance"),
    "2.B.3.m": ("F03a08", "Quality Control Analysis = Quality Control Testing"),
    "2.B.4.e": ("F02a03", "Judgment and Decision Making = Decision Making"),
    "2.B.4.h": ("F02b01", "Systems Evaluation = Evaluation"),
    # Knowledge
    "2.C.1.a": ("G01a02", "Administration and Management = Business Management"),
    "2.C.1.b": ("G01a03", "Administrative (formerly Clerical) = Clerical"),
    "2.C.1.d": ("G01a06", "Sales and Marketing = Sale and Marketing"),
    "2.C.1.e": ("G01a07", "Customer and Personal Service = Client Service"),
    "2.C.1.f": ("G01a05", "Personnel and Human Resources = Human Resources and Labour relations"),
    "2.C.2.a": ("G06a01", "Production and Processing = Manufacturing, Processing and Production"),
    "2.C.2.b": ("G07a01", "Food Production: planting, growing, harvesting = Agriculture and Horticulture"),
    "2.C.3.a": ("G10a02", "Computers and Electronics = Computer, Technology and Information Systems"),
    "2.C.3.c": ("G06a04", "Design (technical plans, drawings, models) = Technical Design"),
    "2.C.3.e": ("G10a04", "Mechanical = Mechanics and Machinery"),
    "2.C.5.a": ("G04a04", "Medicine and Dentistry = Physical Health"),
    "2.C.5.b": ("G04a02", "Therapy and Counseling: same wording as Mental Health"),
    "2.C.6": ("G03a01", "Education and Training = Teaching"),
    "2.C.7.b": ("G11a01", "Foreign Language = Languages (non-official languages)"),
    "2.C.7.c": ("G09a01", "Fine Arts = Arts"),
    "2.C.7.d": ("G09a03", "History and Archeology: events and their effects on civilizations = Humanities"),
    "2.C.8.b": ("G05a02", "Law and Government = Law"),
    "2.C.10": ("G06a02", "Transportation (moving people or goods) = Logistics"),
    # Work Activities
    "4.A.1.b.2": ("K01b03", "Inspecting Equipment, Structures, or Materials (plural)"),
    "4.A.1.b.3": ("K01b02", "Estimating the Quantifiable Characteristics (OaSIS shortens the name)"),
    "4.A.2.a.1": ("K03a01", "Judging the Qualities of Objects, Services, or People = Judging Quality"),
    "4.A.2.a.3": ("K03a02", "Evaluating Information to Determine Compliance (with Standards)"),
    "4.A.2.b.1": ("K03b01", "Making Decisions and Solving Problems = Making Decisions"),
    "4.A.2.b.3": ("K03b04", "Updating and Using Relevant Knowledge = Applying New Knowledge"),
    "4.A.2.b.6": ("K03b07", "Organizing, Planning, and Prioritizing Work = Planning and Organizing"),
    "4.A.3.b.1": ("K02b04", "Working with Computers (formerly Interacting with Computers)"),
    "4.A.3.b.2": ("K01a07", "Drafting, Laying Out, and Specifying: same definition as Developing Technical Instructions"),
    "4.A.3.b.4": ("K02b05", "Repairing and Maintaining Mechanical Equipment = Mechanical Maintenance"),
    "4.A.3.b.5": ("K02b03", "Repairing and Maintaining Electronic Equipment = Electronic Maintenance"),
    "4.A.3.b.6": ("K01a08", "Documenting/Recording Information = Clerical Activities"),
    "4.A.4.a.2": ("K04a01", "Communicating with Supervisors, Peers, or Subordinates = with Coworkers"),
    "4.A.4.a.3": ("K04a06", "Communicating with People Outside the Organization"),
    "4.A.4.b.2": ("K04b05", "Developing and Building Teams = Team Building"),
    "4.A.4.b.3": ("K04b06", "Training and Teaching Others = Training and Teaching"),
    "4.A.4.b.4": ("K04b04", "Guiding, Directing, and Motivating Subordinates = Supervising Subordinates"),
    "4.A.4.b.6": ("K04b02", "Providing Consultation and Advice to Others"),
    "4.A.4.c.2": ("K04c01", "Staffing Organizational Units = Staffing"),
    "4.A.4.c.3": ("K03b06", "Monitoring and Controlling Resources = Managing Resources"),
}

# Automatic matches a reviewer turned down: element id -> reason.
REJECTED = {}

# Reviewed: no OaSIS twin (kept as O*NET-only descriptors), with the reason.
NO_TWIN = {
    "1.A.1.a.3": "Oral Expression: OaSIS's Oral Expression is the skill, taken by Speaking (2.A.1.d)",
    "1.A.1.b.2": "Originality: no OaSIS ability",
    "2.A.1.f": "Science: no OaSIS skill",
    "2.A.2.b": "Active Learning: an OaSIS personal attribute, not a skill (different scale)",
    "2.B.1.f": "Service Orientation: an OaSIS personal attribute, not a skill (different scale)",
    "2.C.1.c": "Economics and Accounting: spans OaSIS Accounting, Finance and Economics",
    "2.C.3.b": "Engineering and Technology: no OaSIS knowledge",
    "2.C.4.e": "Psychology: no OaSIS knowledge",
    "2.C.4.f": "Sociology and Anthropology: Humanities is taken by History and Archeology",
    "2.C.4.g": "Geography: no OaSIS knowledge (Geoscience is earth science)",
    "2.C.7.a": "English Language: OaSIS Languages is about non-official languages",
    "4.A.4.c.1": "Performing Administrative Activities: an OaSIS similarity group, not a descriptor",
}


def normalize(name: str) -> str:
    text = name.lower().replace("&", " and ").replace("-", "")
    words = re.findall(r"[a-z0-9]+", text)
    words = [w for w in words if w not in {"and", "or", "of", "the"}]
    return " ".join(sorted(words))


def read_tsv(path: Path):
    with open(path, encoding="utf-8-sig", newline="") as handle:
        lines = handle.read().splitlines()
    header = lines[0].split("\t")
    return [dict(zip(header, line.split("\t"))) for line in lines[1:] if line]


def main() -> int:
    elements = read_tsv(ONET / "Content Model Reference.txt")
    ids = {e["Element ID"] for e in elements}
    rated = set()
    for name in ["Skills.txt", "Knowledge.txt", "Abilities.txt", "Work Activities.txt"]:
        rated |= {row["Element ID"] for row in read_tsv(ONET / name)}

    with open(GUIDE, encoding="utf-8-sig", newline="") as handle:
        guide = [row for row in csv.DictReader(handle) if row["Structure type"].strip() == "Descriptor"]
    oasis = {row["Code"].strip(): row for row in guide}

    out = csv.writer(sys.stdout, lineterminator="\n")
    out.writerow(["onet_element_id", "onet_element_name", "onet_category", "oasis_code", "oasis_name",
                  "oasis_category", "match_kind", "note"])
    used = {}
    for element in elements:
        element_id = element["Element ID"]
        category = next((c for c in CATEGORIES if element_id.startswith(c[0])), None)
        if category is None or element_id not in rated:
            continue
        if any(other.startswith(element_id + ".") for other in ids):
            continue  # not a leaf: a heading of the content model, never rated
        name = element["Element Name"].strip()
        candidates = [row for row in guide if row["Category"].strip() == category[2]]
        code, kind, note = "", "none", NO_TWIN.get(element_id, "no OaSIS descriptor of the same name")
        exact = [r for r in candidates if r["Name"].strip().lower() == name.lower()]
        normal = [r for r in candidates if normalize(r["Name"]) == normalize(name)]
        if element_id in MANUAL:
            code, note = MANUAL[element_id]
            kind = "manual"
        elif element_id in REJECTED:
            note = REJECTED[element_id]
        elif len(exact) == 1:
            code, kind, note = exact[0]["Code"].strip(), "exact", ""
        elif len(normal) == 1:
            code, kind, note = normal[0]["Code"].strip(), "normalized", ""
        if code:
            if code not in oasis:
                raise SystemExit(f"{element_id}: OaSIS code {code} is not a descriptor of the guide")
            if code in used:
                raise SystemExit(f"{element_id} and {used[code]} both map to {code}: one O*NET element per descriptor")
            used[code] = element_id
        target = oasis.get(code, {})
        out.writerow([element_id, name, category[1], code, target.get("Name", "").strip(),
                      target.get("Category", "").strip(), kind, note])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
