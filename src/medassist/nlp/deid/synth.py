"""Synthetic clinical notes with gold PHI spans, for training and evaluating de-identification.

Every note is invented: names, dates and numbers are drawn at random from pools written here and in
``knowledge/data/deid`` (census-frequency names, US cities), and some names come from pools the rule-based
de-identifier does NOT know, so an evaluation also measures what context cues find on their own.
Notes also carry look-alikes that are not PHI (``5/5 strength``, ``BP 120/80``, ``Murphy sign``, years
alone, ages under 90) so that precision is measured too.

Two template sets exist: ``dev`` (progress notes, consults, phone messages: the set the rules were tuned
on) and ``eval`` (discharge summaries, referral letters, ED notes, operative reports, written separately
with other wordings and orders).  Benchmarks use ``eval`` with a seed never used for tuning.

Output, one JSON object per line (the char-span JSONL format of the training engine)::

    {"id": "synth-eval-7-000001", "text": "...", "entities": [{"start": 9, "end": 19, "label": "NAME"}]}

Command line::

    python -m medassist.nlp.deid.synth --n 500 --seed 7 --templates eval --out corpus.jsonl
"""

from __future__ import annotations

import argparse
import json
import random
import re
import string
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from medassist.nlp.deid.patterns import DATA_DIR

# Names the de-identifier's lexicons do not contain (invented or rare spellings), one pool per set.
_UNSEEN_FIRST = {
    "dev": ["Thaddeus", "Ximena", "Oluwaseun", "Bjorn", "Anneliese", "Kwame", "Ines", "Radomir", "Saoirse", "Tariq"],
    "eval": ["Leopold", "Marisol", "Chidi", "Ingrid", "Desmond", "Yesenia", "Cormac", "Svetlana", "Ezekiel", "Perpetua",
             "Florian", "Anouk", "Emeka", "Henrietta", "Lazlo", "Wilhelmina"],
}  # fmt: skip
_UNSEEN_LAST = {
    "dev": ["Okonkwo", "Przybylski", "Nakamura", "Haldorsen", "Ferreira", "Zielinski", "Abernathy", "Quiroga"],
    "eval": ["Vukovic", "Oyelaran", "Thistlewood", "Kowalczyk", "Ramaswamy", "Delacroix", "Hargreaves", "Lindqvist",
             "Achterberg", "Mbeki", "Castellanos", "Brannigan", "Szymanski", "Okafor", "Whitcombe", "Ibarguen"],
}  # fmt: skip
_UNSEEN_FIRST["test"] = [
    "Obadiah",
    "Rosalind",
    "Tobiah",
    "Philippa",
    "Augustin",
    "Zainab",
    "Casimir",
    "Ottilie",
]
_UNSEEN_LAST["test"] = [
    "Pemberton-Lowe",
    "Grzeskowiak",
    "Achebe",
    "Nightingale",
    "Vandermeer",
    "Oyelowo",
    "Trask",
    "Quenneville",
]
_UNSEEN_FIRST["holdout"] = [
    "Eulalia",
    "Barnaby",
    "Ifeoma",
    "Leopoldine",
    "Thorvald",
    "Marisela",
    "Cosimo",
    "Yaretzi",
]
_UNSEEN_LAST["holdout"] = [
    "Oduya",
    "Fairweather",
    "Wojciechowski",
    "Lindgren-Oakes",
    "Brathwaite",
    "Okonjo",
    "Ferrante",
    "Halvorsen",
]
_UNSEEN_FIRST["nursing"] = ["Marcelina", "Dov", "Lupita", "Tadeusz", "Oona", "Jerzy", "Winifred", "Anselm", "Keziah",
                            "Ruaidhri", "Imelda", "Bartholomew", "Ngozi", "Casimira", "Lorcan", "Henrik"]
_UNSEEN_LAST["nursing"] = ["Certusi", "Rakowski", "Dunleavy", "Szabo", "Ravenscroft", "Okeke", "Mbatha", "Tremblay",
                           "Kalinowski", "Abernethy", "Iannucci", "Vasquez-Lorne", "Hollingsworth", "Pruitt",
                           "Zamora", "Kettering"]
_UNSEEN_TOWNS = {
    "nursing": ["Glen Burnie", "Owings Mills", "Catonsville", "Dundalk", "Towson", "Severna Park", "Hagerstown",
                "Frederick", "Laurel", "Essex", "Brockton", "Quincy", "Framingham", "Lowell", "Revere", "Medford"],
    "dev": ["Maplewood", "Brookhaven", "Cedar Falls"],
    "eval": ["Pinecrest", "Willow Creek", "Harborview", "Millbrook", "Stony Point", "Fairhaven"],
    "test": ["Ashbourne", "Kettle Falls", "Marlowe", "Granite Ridge"],
    "holdout": ["Bramblewood", "Larchmont Heights", "Quarry Hill", "Oxbow"],
}
_STATES = ["MA", "NY", "CA", "TX", "IL", "OH", "PA", "FL", "GA", "WA", "MI", "NC", "Oregon", "Ohio", "Texas"]
_FACILITY_KINDS = [
    "Hospital",
    "Medical Center",
    "Clinic",
    "Health Center",
    "Memorial Hospital",
    "Rehabilitation Center",
]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"]  # fmt: skip
_DRUGS = ["metoprolol 25 mg po bid", "lisinopril 10 mg daily", "metformin 500 mg bid", "atorvastatin 40 mg qhs",
          "aspirin 81 mg daily", "Lasix 40mg IV daily", "albuterol 2 puffs q4h prn wheeze", "warfarin 5 mg daily",
          "amoxicillin 500 mg tid x 7 days", "insulin glargine 20 units qhs"]  # fmt: skip
_PROBLEMS = ["hypertension", "type 2 diabetes", "CHF", "COPD", "atrial fibrillation", "CKD stage 3", "asthma",
             "hyperlipidemia", "GERD", "osteoarthritis", "depression", "hypothyroidism"]  # fmt: skip
_SYMPTOMS = ["chest pain", "shortness of breath", "nausea", "fever", "cough", "headache", "dizziness",
             "abdominal pain", "fatigue", "palpitations"]  # fmt: skip


def _read(name: str) -> list[str]:
    lines = (DATA_DIR / name).read_text(encoding="utf-8").splitlines()
    return [x.strip() for x in lines if x.strip() and not x.startswith("#")]


class Faker:
    """Random PHI values in many surface formats."""

    def __init__(self, rnd: random.Random, templates: str) -> None:
        self.r = rnd
        self.first = [w.capitalize() for w in _read("first_names.txt")]
        self.last = [w.capitalize() for w in _read("last_names.txt")]
        self.cities = _read("cities.txt")
        self.streets = _read("streets.txt")
        self.unseen_first = _UNSEEN_FIRST[templates]
        self.unseen_last = _UNSEEN_LAST[templates]
        self.towns = _UNSEEN_TOWNS[templates]
        self.unseen_rate = 0.3
        self.nursing = templates == "nursing"

    def first_name(self) -> str:
        return self.r.choice(self.unseen_first if self.r.random() < self.unseen_rate else self.first)

    def last_name(self) -> str:
        name = self.r.choice(self.unseen_last if self.r.random() < self.unseen_rate else self.last)
        if name.startswith("Mc") and len(name) > 2:
            name = "Mc" + name[2:].capitalize()
        if self.r.random() < 0.05:
            name = name + "-" + self.r.choice(self.last)
        return name

    def digits(self, n: int) -> str:
        return "".join(self.r.choice(string.digits) for _ in range(n))

    def letters(self, n: int) -> str:
        return "".join(self.r.choice(string.ascii_uppercase) for _ in range(n))

    def date(self, style: int | None = None) -> str:
        r = self.r
        y, m, d = r.randint(1990, 2025), r.randint(1, 12), r.randint(1, 28)
        mon = _MONTHS[m - 1]
        styles: list[Callable[[], str]] = [
            lambda: f"{m:02d}/{d:02d}/{y}",
            lambda: f"{m}/{d}/{y}",
            lambda: f"{m}/{d}/{y % 100:02d}",
            lambda: f"{y}-{m:02d}-{d:02d}",
            lambda: f"{d:02d}-{mon[:3]}-{y}",
            lambda: f"{mon} {d}, {y}",
            lambda: f"{mon[:3]} {d} {y}",
            lambda: f"{d} {mon} {y}",
            lambda: f"{mon} {d}{_suffix(d)}",
            lambda: f"{mon[:3]}. {d}" if mon != "May" else f"May {d}",
            lambda: f"{m}/{d}",
            lambda: f"{m}-{d}-{y}",
            lambda: f"{mon} {y}",
            lambda: f"{d}{_suffix(d)} of {mon}",
            lambda: f"{m:02d}.{d:02d}.{y}",
        ]
        return styles[style if style is not None else r.randrange(len(styles))]()

    def phone(self) -> str:
        a, b, c = self.digits(3).replace("0", "5", 1), self.digits(3), self.digits(4)
        shapes = [f"({a}) {b}-{c}", f"{a}-{b}-{c}", f"{a}.{b}.{c}", f"+1 {a} {b} {c}", f"{a}-{b}-{c} ext. {self.digits(3)}"]
        if self.nursing:  # hand-typed shapes
            shapes += [f"{a}/{b}/{c}", f"({a}){b}-{c}", f"{a} {b} {c}", f"{a}-{b}{c}", f"{b}-{c}", f"{a}{b}{c}", f"{a} {b}-{c}"]
        return self.r.choice(shapes)

    def pager(self) -> str:
        return self.r.choice([f"{self.digits(1)}-{self.digits(4)}", f"x{self.digits(4)}", f"#{self.digits(5)}", self.digits(5)])

    def date_variant(self, variant: str) -> str:
        r = self.r
        y, m, d = r.randint(1995, 2025), r.randint(1, 12), r.randint(1, 28)
        mon = _MONTHS[m - 1]
        if variant == "short":
            return r.choice([f"{m}/{d}", f"{m}/{d}", f"{m}-{d}", f"{m:02d}/{d:02d}", f"{m}/{d}/{y % 100:02d}",
                             f"{mon[:3].lower()} {d}", f"{mon[:3]}. {d}th", f"{m}/{d}/{y}"])
        if variant == "monthyear":
            return r.choice([f"{mon[:3].lower()}. {y}", f"{mon} {y}", f"{m}/{y % 100:02d}", f"{m}/{y}", f"{mon.lower()} of {y}"])
        return self.date()

    def nursing_facility(self) -> str:
        r = self.r
        town = self.city()
        return r.choice([f"{town} hospital", f"{town} hosp", f"{town} General", f"{town} Medical Center",
                         f"St. {self.first_name()}'s", f"{town} rehab", f"{self.last_name()} nursing home",
                         f"{town} VA", f"University of {town} Medical", f"{town} Memorial", self.facility()])

    def ssn(self) -> str:
        return self.r.choice(
            [
                f"{self.digits(3)}-{self.digits(2)}-{self.digits(4)}",
                f"{self.digits(3)} {self.digits(2)} {self.digits(4)}",
            ]
        )

    def mrn(self) -> str:
        return self.r.choice(
            [
                self.digits(8),
                self.digits(7),
                f"{self.letters(2)}{self.digits(6)}",
                f"{self.digits(3)}-{self.digits(2)}-{self.digits(3)}",
            ]
        )

    def plan(self) -> str:
        return self.r.choice(
            [
                f"{self.letters(3)}{self.digits(9)}",
                f"{self.letters(1)}{self.digits(8)}",
                f"{self.digits(4)}-{self.digits(5)}-{self.digits(2)}",
            ]
        )

    def account(self) -> str:
        return self.r.choice([self.digits(10), f"A{self.digits(7)}", f"{self.digits(4)}-{self.digits(6)}"])

    def license(self) -> str:
        return self.r.choice(
            [
                f"{self.letters(2)}{self.digits(7)}",
                f"{self.letters(1)}{self.digits(7)}",
                f"MD{self.digits(5)}",
            ]
        )

    def vehicle(self) -> str:
        vin_chars = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
        return self.r.choice(
            [
                "".join(self.r.choice(vin_chars) for _ in range(11)) + self.digits(6),
                f"{self.digits(1)}{self.letters(3)}{self.digits(3)}",
            ]
        )

    def device(self) -> str:
        return self.r.choice(
            [
                f"{self.letters(2)}{self.digits(6)}",
                f"{self.letters(3)}-{self.digits(5)}-{self.letters(1)}",
                f"{self.digits(9)}",
            ]
        )

    def email(self, first: str | None = None, last: str | None = None) -> str:
        f = (first or self.first_name()).lower()
        la = (last or self.last_name()).lower().replace("-", "")
        dom = self.r.choice(
            ["gmail.com", "yahoo.com", "outlook.com", "hospital.org", "clinic.net", "mail.com"]
        )
        return self.r.choice([f"{f}.{la}@{dom}", f"{f[0]}{la}{self.digits(2)}@{dom}", f"{la}_{f}@{dom}"])

    def url(self) -> str:
        host = self.r.choice(["mychart", "portal", "patients", "www"])
        org = self.last_name().lower().replace("-", "") + self.r.choice(["health", "medical", "clinic"])
        return self.r.choice(
            [
                f"https://{host}.{org}.org/login",
                f"www.{org}.com",
                f"http://{org}.org/patient/{self.digits(6)}",
            ]
        )

    def ip(self) -> str:
        return ".".join(str(self.r.randint(1, 254)) for _ in range(4))

    def street(self) -> str:
        suffix = self.r.choice(
            [
                "Street",
                "St",
                "Avenue",
                "Ave.",
                "Road",
                "Rd",
                "Lane",
                "Drive",
                "Dr.",
                "Court",
                "Boulevard",
                "Way",
            ]
        )
        unit = self.r.choice(
            [
                "",
                "",
                "",
                f", Apt {self.digits(1)}{self.letters(1)}",
                f" Suite {self.digits(3)}",
                f" #{self.digits(2)}",
            ]
        )
        name = self.r.choice(self.streets + [self.last_name()])
        return f"{self.r.randint(1, 9999)} {self.r.choice(['', '', 'N. ', 'West '])}{name} {suffix}{unit}"

    def city(self) -> str:
        return self.r.choice(self.towns) if self.r.random() < 0.2 else self.r.choice(self.cities)

    def zip(self) -> str:
        return self.digits(5) if self.r.random() < 0.8 else f"{self.digits(5)}-{self.digits(4)}"

    def facility(self) -> str:
        base = self.r.choice(
            [self.last_name(), self.city(), f"St. {self.first_name()}'s", self.r.choice(self.streets)]
        )
        return f"{base} {self.r.choice(_FACILITY_KINDS)}"

    def old_age(self) -> str:
        return str(self.r.randint(90, 104))


def _suffix(d: int) -> str:
    return "th" if 10 <= d % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d % 10, "th")


# Templates: {TYPE} or {TYPE:variant} is a PHI slot (gold label TYPE); {p:...} a non-PHI filler.
# NAME variants: full, first, last, title (Mr./Dr. + last), initial (J. Smith), caps (JOHN SMITH),
# lastfirst (Smith, John); the same person is reused within a note through {NAME:same-last} etc.
DEV_TEMPLATES: list[str] = [
    "PROGRESS NOTE\nPatient: {NAME:full}\nMRN: {MRN}\nDOB: {DATE}\nDate of visit: {DATE}\n",
    "CHIEF COMPLAINT: {p:symptom}.\n",
    "HISTORY OF PRESENT ILLNESS: {NAME:title} is a {p:age}-year-old with {p:problem} who presents with {p:symptom} since {DATE}. "
    "{NAME:same-first} reports the {p:symptom} began after a trip to {CITY}.\n",
    "He was last seen by Dr. {NAME:last} on {DATE} and started on {p:drug}.\n",
    "PAST MEDICAL HISTORY: {p:problem}, {p:problem}.\nMEDICATIONS: {p:drug}; {p:drug}.\nALLERGIES: NKDA.\n",
    "SOCIAL HISTORY: Lives with his wife {NAME:first} at {ADDRESS}, {CITY}, {p:state} {ZIP}. Retired teacher.\n",
    "FAMILY HISTORY: Mother with {p:problem}. Father died at {p:age}.\n",
    "PHYSICAL EXAM: BP 128/76, HR 88. Lungs clear. 5/5 strength throughout. 2/6 systolic murmur. Murphy sign negative.\n",
    "LABS ({DATE}): WBC 7.2, Hgb 13.1, A1c 7.4%.\n",
    "ASSESSMENT AND PLAN: {p:problem}, stable. Continue {p:drug}. Return to clinic on {DATE}. Call {PHONE} with questions.\n",
    "Electronically signed by {NAME:full}, MD on {DATE}\n",
    "TELEPHONE ENCOUNTER {DATE}\nCaller: {NAME:full} (daughter), phone {PHONE}.\nShe states her father {NAME:same-title} "
    "has had {p:symptom} since {DATE}. Advised ED if worse. Pharmacy fax {FAX}.\n",
    "CONSULT NOTE\nRequesting physician: Dr. {NAME:full}\nReason: {p:problem}.\nThe patient is a {AGE}-year-old woman, "
    "insurance member ID {HEALTH_PLAN}, SSN {SSN}.\n",
    "Patient email: {EMAIL}. Portal: {URL}. Account number: {ACCOUNT}.\n",
    "Device check: pacemaker serial number {DEVICE}; remote monitoring from IP {IP}.\n",
    "Seen at {FACILITY} on {DATE}. Driver's license {LICENSE}. Vehicle VIN {VEHICLE}.\n",
    "Aged {AGE}, she still lives alone in {CITY}.\n",
    "Follow-up with {NAME:initial} in 2 weeks. {NAME:caps} was notified. cc: {NAME:lastfirst}\n",
]

EVAL_TEMPLATES: list[str] = [
    "DISCHARGE SUMMARY\n\nNAME: {NAME:caps}          UNIT NO: {MRN}\nADMISSION DATE: {DATE}     DISCHARGE DATE: {DATE}\n"
    "ATTENDING: {NAME:full}, M.D.\n",
    "HOSPITAL COURSE: This {AGE} yo gentleman was transferred from {FACILITY} after he fell at home on {DATE}. "
    "His son, {NAME:first}, found him on the floor.\n",
    "Ms. {NAME:last} tolerated the procedure well and was discharged home to {CITY} on post-op day 3.\n",
    "The patient's niece {NAME:full} ({PHONE}) will stay with her; she can also be paged via the operator.\n",
    "Referral letter\n{DATE}\n\nDear Dr. {NAME:last},\n\nThank you for seeing {NAME:full} (date of birth {DATE}), "
    "whom I have followed since {DATE} for {p:problem}.\n",
    "Her records were faxed to {FAX} and the imaging is available at {URL}.\n",
    "Sincerely,\n{NAME:full}, NP\n{FACILITY}\n{ADDRESS}\n{CITY}, {p:state} {ZIP}\nTel {PHONE}\n",
    "ED NOTE  {DATE} 14:32\nPt is a {p:age} y/o M BIBA after MVC. Vehicle plate {VEHICLE}. Per EMS, {NAME:first} was the restrained driver.\n",
    "Insurance: Medicaid # {HEALTH_PLAN}. Acct # {ACCOUNT}. Social Security no. {SSN}.\n",
    "Exam notable for 4/5 strength in the LUE, reflexes 2/4, and a grade 3/6 holosystolic murmur. BP 142/91. "
    "He was born in 1948 and is 76 years old. Wife ({NAME:first}) at bedside.\n",
    "OPERATIVE REPORT\nSurgeon: {NAME:full}, MD\nAssistant: {NAME:initial}\nDate of operation: {DATE}\n"
    "Implant: Medtronic generator, serial no. {DEVICE}.\nA Foley catheter was placed and a Jackson-Pratt drain left.\n",
    "Follow up: on the {p:ordinal} with {NAME:title}; e-mail results to {EMAIL}.\n",
    "Workstation {IP} logged the order. Nursing license {LICENSE} on file.\n",
    "{NAME:lastfirst} is a {AGE}-year-old with {p:problem}; she has lived at {ADDRESS} for 40 years.\n",
    "Collateral from {NAME:same-first}'s daughter: symptoms began around {DATE}, worse over the {p:holiday} weekend.\n",
    "Seen in clinic {DATE}; labs from {DATE} reviewed with Dr. {NAME:same-last}.\n",
    "She moved to {CITY} from {CITY} in 2015 and works at {FACILITY}.\n",
    "Dictated by: {NAME:full}\nD: {DATE}  T: {DATE}\n",
]

# A third set, written after the rules had been tuned on ``dev`` and then on ``eval`` (whose first,
# untuned run is kept in benchmarks/results/deid_eval_v1_before_tuning_on_eval.json): nursing and
# pharmacy notes, radiology reports, psychiatry and paediatrics notes, portal messages.
TEST_TEMPLATES: list[str] = [
    "NURSING NOTE {DATE} 0700\nPt {NAME:full} resting comfortably. Daughter {NAME:first} called at 0815 from {CITY} "
    "asking for an update; callback number {PHONE}.\n",
    "Patient name: {NAME:lastfirst}   Med Rec #: {MRN}   Enc #: {ACCOUNT}\nVisit date: {DATE}\n",
    "RADIOLOGY REPORT\nExam: CT chest without contrast   Accession no. {MRN}\nOrdering provider: {NAME:full}, PA-C\n"
    "Comparison: prior study dated {DATE}.\nFINDINGS: No pulmonary embolism. 2/5 mm nodule stable.\n",
    "Pharmacy note: spoke with {NAME:title} regarding warfarin dosing; INR 2.4. Next check {DATE}. "
    "Pharmacist: {NAME:full}, PharmD.\n",
    "PSYCHIATRY EVALUATION\nIdentifying data: {NAME:full} is a {p:age}-year-old divorced veteran living in {CITY}, "
    "{p:state}. Collateral obtained from his sister, {NAME:full}, by phone ({PHONE}).\n",
    "PEDIATRICS\nChild: {NAME:first} {NAME:same-last}, DOB {DATE}. Mother {NAME:first} reports fever x 3 days. "
    "Guardian contact: {EMAIL}.\n",
    "Portal message received {DATE} from {EMAIL}: 'my pharmacy is {FACILITY}, fax {FAX}'.\n",
    "Home address on file: {ADDRESS}, {CITY}, {p:state} {ZIP}. Emergency contact: {NAME:full} ({PHONE}).\n",
    "The patient, a {AGE} y.o. widow, was seen by {NAME:initial} and Dr. {NAME:last} on {DATE}.\n",
    "Insurance: policy no. {HEALTH_PLAN}; subscriber {NAME:full}. Claim #: {ACCOUNT}.\n",
    "Driver license no. {LICENSE}. Car VIN {VEHICLE}. Insulin pump S/N {DEVICE}.\n",
    "Remote login from {IP}; report uploaded to {URL}.\n",
    "Last colonoscopy {DATE} at {FACILITY}. Next due {DATE}.\n",
    "/s/ {NAME:full}, RN  {DATE}\n",
    "Nurse {NAME:full} noted that Mr. {NAME:same-last} refused his 2100 medications. 4/5 strength bilaterally.\n",
    "SSN: {SSN}. Preferred name: {NAME:first}. Born in {CITY}.\n",
    "D/C summary sent to {NAME:caps}, MD, fax {FAX}, on {DATE}.\n",
    "Spoke with her husband {NAME:first} ({PHONE}) who will drive her to {FACILITY} on the {p:ordinal}.\n",
]

# The final held-out set, written after all tuning (dev, then eval, then test) and run once.
HOLDOUT_TEMPLATES: list[str] = [
    "SOAP NOTE  {DATE}\nS: {NAME:first} {NAME:same-last} returns for follow-up of {p:problem}. Her son {NAME:first} "
    "drove her in from {CITY}.\n",
    "O: T 37.1, BP 134/82. Grip 5/5. Grade 2/6 murmur.\nA/P: {p:problem}; continue {p:drug}. RTC {DATE}.\n",
    "Re: {NAME:full}\nDOB: {DATE}\nMR: {MRN}\n\nDear {NAME:title},\nI had the pleasure of meeting your patient on {DATE}.\n",
    "LAB REPORT  Specimen ID {MRN}  Collected {DATE} 06:40  Received {DATE}\nPhysician: {NAME:lastfirst}\n",
    "TRANSFER NOTE: accepted by Dr. {NAME:full} at {FACILITY}; report called to charge nurse {NAME:first} at {PHONE}.\n",
    "Home health visit at {ADDRESS}, {CITY}. Caregiver {NAME:full} present. Wound 2 x 3 cm.\n",
    "Telehealth visit {DATE}: patient connected from {IP} via {URL}. Identity confirmed with DOB and SSN {SSN}.\n",
    "OB NOTE: G2P1 at 32 weeks, EDD {DATE}. Partner {NAME:full} ({PHONE}) present. Plan delivery at {FACILITY}.\n",
    "Patient {NAME:full}, {AGE} years old, resides at {ADDRESS}, {CITY} {ZIP}.\n",
    "Billing: acct {ACCOUNT}; Medicare ID {HEALTH_PLAN}. Prior auth faxed to {FAX} on {DATE}.\n",
    "Device interrogation: ICD serial {DEVICE}, last shock {DATE}. Clinic contact {EMAIL}.\n",
    "MVC: pt's vehicle plate {VEHICLE}; driver's lic. {LICENSE}.\n",
    "{NAME:first} tolerated the procedure and was discharged to the care of {NAME:full}.\n",
    "Addendum {DATE}: results discussed with {NAME:same-first} by phone.\n",
    "Attestation: I saw and examined the patient with {NAME:full}, MD, resident. {NAME:initial}, MD\n",
]



# Nursing and ICU progress notes, written for training the PHI tagger: telegraphic shorthand, relatives
# and staff named after titles and relations (often without capitals once the note is lower-cased),
# hospitals and towns without a street, phone and date shapes of hand-typed notes, and many clinical
# numbers that are not identifiers ({p:vitals}, {p:vent}, {p:drip}, {p:labs}, {p:time}).
NURSING_TEMPLATES: list[str] = [
    "nsg note {DATE:short} {p:time}\nneuro: a&ox3, mae, follows commands. {p:vitals}.\n",
    "resp: {p:vent}. ls coarse bilat, sxn for sm amt thick tan sputum.\n",
    "cv: {p:vitals}. {p:drip}. k {p:lab} repleted.\n",
    "gi/gu: abd soft, +bs. foley draining clear yellow urine {p:uo}.\n",
    "labs: {p:labs}.\n",
    "social: {p:relation} {NAME:first} called at {p:time} for update, phone {PHONE}. will call back after rounds.\n",
    "{p:relation} ({NAME:full}) in to visit this pm, updated by {NAME:title}. {p:relation} can be reached at {PHONE}.\n",
    "pt seen by {NAME:title} and {NAME:title2}; plan to wean {p:drip2} as tol.\n",
    "spoke with {NAME:title} re: {p:problem}, aware of {p:vitals}. no new orders.\n",
    "{NAME:title} (renal) aware of low uo; {p:drip}.\n",
    "pt transferred from {FACILITY} on {DATE:short} for {p:problem}; hx of {p:problem} s/p {p:proc} at {FACILITY} in {DATE:monthyear}.\n",
    "pt lives in {CITY} with {p:relation} {NAME:first}; {p:relation2} {NAME:full} lives in {CITY}.\n",
    "plan: ?transfer to {FACILITY} when bed available. {p:relation} {NAME:lastname_title} wants to be called at {PHONE} with any changes.\n",
    "family mtg held with drs {NAME:last} and {NAME:last2}; {p:relation} {NAME:first} and {p:relation2} {NAME:first} present. pt made dnr.\n",
    "iv access: {p:lines}. {p:drip}.\n",
    "id: tmax {p:temp}, wbc {p:lab}. cx sent {DATE:short}. on {p:abx} day {p:small}.\n",
    "pt's {p:relation} {NAME:full} ({PHONE}) is hcp; {p:relation2} {NAME:first} also involved.\n",
    "{NAME:initial_lower} np aware of {p:vitals}, new order for {p:drug}.\n",
    "code status discussed with pt's {p:relation}, {NAME:mrs}. full code for now.\n",
    "overnight: {p:vitals}; {p:vent}; {p:drip}.\n",
    "pmh: {p:problem}, {p:problem}, {p:proc} x{p:small} {DATE:monthyear}.\n",
    "admitted {DATE:short} from {CITY} via {FACILITY} er with {p:problem}.\n",
    "pager {PHONE:pager} for {NAME:title} after {p:time}. home# {PHONE} work# {PHONE}.\n",
    "next cath scheduled {DATE:short}; prior echo {DATE:short} showed ef {p:ef}.\n",
    "{p:relation} called from {CITY}, asked that {NAME:title} call her back; {p:relation} is flying in {DATE:short}.\n",
    "pt requesting to speak with chaplain {NAME:full}. referral placed.\n",
    "case mgmt ({NAME:first}) working on rehab placement at {FACILITY}.\n",
    "discussed with {NAME:caps_title}. {p:vitals}.\n",
    "d/c planning: home with vna; f/u with {NAME:title} at {FACILITY} on {DATE:short}.\n",
    "rn: {NAME:first} {NAME:same-lastinitial} {p:time}\n",
    "access: {p:lines}, {p:lines2}. status: full code. dispo: {p:unit}.\n",
    "social: {p:relation}-{NAME:first}---{PHONE} & {p:relation2}-{NAME:first}---{PHONE}.\n",
    "{NAME:first} {NAME:same-last} ({p:relation}) cell# {PHONE} home# {PHONE}, ask to page {NAME:first}.\n",
    "neuro: mae, perrla, {p:vitals}. per {NAME:initial_title} ok to {p:drip2}.\n",
    "pt oriented x3, states \"i'm at {FACILITY}, it's the {p:ordinal}.\" {p:unit} aware.\n",
    "plan: transfer to {p:unit} in am, team aware. hx {p:problem} '{p:yy}, {p:proc} '{p:yy}.\n",
]


def _clin(r: random.Random, kind: str) -> str:
    """Clinical numbers that are not identifiers (vital signs, ventilator settings, drips, labs, times)."""
    n = r.randint
    if kind == "vitals":
        return r.choice([f"hr {n(6, 12)}0s-{n(9, 13)}0s sr", f"bp {n(9, 16)}0/{n(5, 9)}0", f"sbp {n(8, 11)}0-{n(12, 16)}0s",
                         f"maps {n(6, 7)}0-{n(7, 9)}0s", f"rr {n(12, 28)}", f"sats {n(90, 99)}% on {n(2, 6)}l nc",
                         f"t {n(97, 102)}.{n(0, 9)}", f"cvp {n(4, 16)}", f"hr {n(55, 140)} afib", f"bp {n(80, 200)}/{n(40, 110)}"])
    if kind == "vent":
        return r.choice([f"ac {n(4, 8)}00 x {n(10, 20)} {n(4, 10)}0% peep {n(5, 12)}", f"overvented with {n(5, 8)}00x{n(10, 16)}",
                         f"cpap {n(5, 10)}/{n(5, 10)}", f"ps {n(5, 15)}/{n(5, 8)}", f"simv {n(5, 7)}00/{n(8, 14)}/{n(5, 10)}/{n(4, 6)}0%",
                         f"intubated on {n(40, 100)}% {n(5, 8)}00 x {n(10, 18)}", f"tv {n(4, 8)}00 rr {n(10, 20)} fio2 {n(4, 10)}0%"])
    if kind in ("drip", "drip2"):
        drug = r.choice(["heparin", "levophed", "neo", "dopa", "propofol", "insulin", "nitro", "lasix", "amio", "aggrestat"])
        return r.choice([f"{drug} gtt at {n(1, 30)} mcg/kg/min", f"{drug} @ {n(2, 40)}cc/hr", f"1/2 ns at {n(5, 15)}0cc/hr",
                         f"d5 1/2ns @ {n(50, 150)}cc/hr", f"{drug} {n(1, 20)}u/hr", f"ivf ns {n(5, 15)}0cc/hr", drug])
    if kind == "lab":
        return f"{n(1, 40)}.{n(0, 9)}"
    if kind == "labs":
        return r.choice([f"k {n(3, 5)}.{n(0, 9)}, mg {n(1, 2)}.{n(0, 9)}, hct {n(22, 40)}.{n(0, 9)}",
                         f"wbc {n(4, 25)}.{n(0, 9)} hct {n(20, 40)} plt {n(50, 400)} inr {n(1, 3)}.{n(0, 9)}",
                         f"abg {n(7, 7)}.{n(25, 48)}/{n(30, 60)}/{n(60, 200)}", f"na {n(128, 148)} k {n(3, 5)}.{n(0, 9)} cr {n(0, 4)}.{n(0, 9)}",
                         f"fs {n(80, 300)}, covered with {n(2, 10)}u ssri"])
    if kind == "uo":
        return r.choice([f"{n(2, 9)}0-{n(5, 15)}0cc/hr", f"{n(20, 100)}cc/hr", f"qs {n(100, 900)}cc"])
    if kind == "time":
        return r.choice([f"{n(0, 23):02d}{r.choice(['00', '15', '30', '45'])}", f"{n(1, 12)}{r.choice(['a', 'p', 'am', 'pm'])}",
                         f"{n(1, 12)}:{r.choice(['00', '30'])}"])
    if kind == "temp":
        return f"{n(99, 103)}.{n(0, 9)}"
    if kind == "small":
        return str(n(1, 7))
    if kind == "ef":
        return f"{n(2, 6)}0%"
    if kind in ("lines", "lines2"):
        return r.choice(["r ij tlc", "l radial a-line", "2 piv's", "r fem cordis", "picc l arm", "r sc cvl", "r rad aline",
                         "rij patent", "lac patent, hep capped", "l sc tlc", "aline dampened", "piv x2 patent"])
    if kind == "unit":
        return r.choice(["micu", "sicu", "vicu", "ccu", "csru", "the floor", "step down", "rehab", "tele", "icu team"])
    if kind == "yy":
        return f"{n(0, 99):02d}"
    if kind == "abx":
        return r.choice(["vanco/zosyn", "levo", "flagyl", "ceftriaxone", "cefazolin", "meropenem"])
    if kind == "proc":
        return r.choice(["cabg", "turp", "lap chole", "ptca", "tah", "orif", "cea", "avr"])
    if kind in ("relation", "relation2"):
        return r.choice(["wife", "husband", "daughter", "son", "sister", "brother", "mother", "father", "niece",
                         "nephew", "friend", "neighbor", "grandson", "granddaughter", "partner", "dtr", "hcp"])
    raise ValueError(kind)


_STATE_CHOICES = _STATES


class Builder:
    def __init__(self, rnd: random.Random, fake: Faker) -> None:
        self.r = rnd
        self.f = fake
        self.parts: list[str] = []
        self.ents: list[dict[str, Any]] = []
        self.pos = 0
        self.people: list[tuple[str, str]] = []

    def lit(self, s: str) -> None:
        self.parts.append(s)
        self.pos += len(s)

    def phi(self, s: str, label: str, sub: list[tuple[int, int, str]] | None = None) -> None:
        if sub:
            for a, b, lab in sub:
                self.ents.append({"start": self.pos + a, "end": self.pos + b, "label": lab})
        else:
            self.ents.append({"start": self.pos, "end": self.pos + len(s), "label": label})
        self.lit(s)

    def person(self, new: bool = True) -> tuple[str, str]:
        if new or not self.people:
            self.people.append((self.f.first_name(), self.f.last_name()))
        return self.people[-1]

    def name(self, variant: str) -> None:
        same = variant.startswith("same-")
        variant = variant.removeprefix("same-")
        first, last = self.person(new=not same)
        if variant == "full":
            mid = f" {self.r.choice(string.ascii_uppercase)}." if self.r.random() < 0.2 else ""
            self.phi(f"{first}{mid} {last}", "NAME")
        elif variant == "first":
            self.phi(first, "NAME")
        elif variant == "last":
            self.phi(last, "NAME")
        elif variant == "title":
            title = self.r.choice(["Mr.", "Mrs.", "Ms.", "Dr.", "Mr", "Ms", "dr", "Dr"])
            self.lit(title + " ")
            self.phi(last, "NAME")
        elif variant == "initial":
            self.phi(f"{first[0]}. {last}", "NAME")
        elif variant == "caps":
            self.phi(
                f"{first.upper()} {last.upper()}"
                if self.r.random() < 0.6
                else f"{last.upper()}, {first.upper()}",
                "NAME",
            )
        elif variant == "lastfirst":
            self.phi(f"{last}, {first}", "NAME")
        elif variant in ("last2",):
            self.phi(self.person(new=True)[1], "NAME")
        elif variant in ("title2",):
            self.lit(self.r.choice(["dr ", "dr. ", "Dr "]))
            self.phi(self.person(new=True)[1], "NAME")
        elif variant == "lastname_title":
            self.lit(self.r.choice(["Mr. ", "Mrs. ", "Ms. ", "mr ", "mrs "]))
            self.phi(last, "NAME")
        elif variant == "mrs":
            self.lit(self.r.choice(["Mrs. ", "Ms. ", "mrs. ", "Mr. "]))
            self.phi(f"{first} {last}" if self.r.random() < 0.5 else last, "NAME")
        elif variant == "initial_lower":
            self.phi(f"{first[0]}. {last}" if self.r.random() < 0.5 else f"{first} {last}", "NAME")
        elif variant == "initial_title":
            self.lit(self.r.choice(["dr ", "Dr. ", "DR "]))
            self.phi(f"{first[0]}. {last}", "NAME")
        elif variant == "caps_title":
            self.lit(self.r.choice(["DR ", "DR. ", "dr "]))
            self.phi(last.upper(), "NAME")
        elif variant == "lastinitial":
            self.phi(f"{last[0]}.", "NAME")
        else:
            raise ValueError(variant)

    def filler(self, kind: str) -> str:
        r = self.r
        if kind == "age":
            return str(r.randint(19, 88))
        if kind == "problem":
            return r.choice(_PROBLEMS)
        if kind == "symptom":
            return r.choice(_SYMPTOMS)
        if kind == "drug":
            return r.choice(_DRUGS)
        if kind == "state":
            return r.choice(_STATE_CHOICES)
        if kind == "holiday":
            return r.choice(["Thanksgiving", "Christmas", "Easter"])
        if kind == "ordinal":
            d = r.randint(1, 28)
            return f"{d}{_suffix(d)}"
        return _clin(r, kind)


_SLOT = re.compile(r"\{([A-Za-z_]+)(?::([a-z0-9_-]+))?\}")


def render(templates: list[str], rnd: random.Random, fake: Faker) -> tuple[str, list[dict[str, Any]]]:
    b = Builder(rnd, fake)
    k = rnd.randint(4, min(9, len(templates)))
    chosen = sorted(rnd.sample(range(len(templates)), k))
    for ti in chosen:
        tpl = templates[ti]
        last = 0
        for m in _SLOT.finditer(tpl):
            b.lit(tpl[last : m.start()])
            kind, variant = m.group(1), m.group(2)
            if kind == "p":
                value = b.filler(variant or "")
                if variant == "ordinal" or variant == "holiday":  # "on the 14th" is a date element
                    b.phi(value, "DATE")
                else:
                    b.lit(value)
            elif kind == "NAME":
                b.name(variant or "full")
            else:
                gen = {
                    "DATE": fake.date, "PHONE": fake.phone, "FAX": fake.phone, "SSN": fake.ssn, "MRN": fake.mrn,
                    "HEALTH_PLAN": fake.plan, "ACCOUNT": fake.account, "LICENSE": fake.license, "VEHICLE": fake.vehicle,
                    "DEVICE": fake.device, "EMAIL": fake.email, "URL": fake.url, "IP": fake.ip, "ADDRESS": fake.street,
                    "CITY": fake.city, "ZIP": fake.zip, "FACILITY": fake.facility, "AGE": fake.old_age,
                }[kind]  # fmt: skip
                if kind == "DATE" and variant:
                    b.phi(fake.date_variant(variant), kind)
                elif kind == "PHONE" and variant == "pager":
                    b.phi(fake.pager(), kind)
                elif kind == "FACILITY" and fake.nursing:
                    b.phi(fake.nursing_facility(), kind)
                else:
                    b.phi(gen(), kind)
            last = m.end()
        b.lit(tpl[last:])
    return "".join(b.parts), b.ents


TEMPLATE_SETS = {
    "nursing": NURSING_TEMPLATES,
    "dev": DEV_TEMPLATES,
    "eval": EVAL_TEMPLATES,
    "test": TEST_TEMPLATES,
    "holdout": HOLDOUT_TEMPLATES,
}


def generate(n: int, seed: int = 0, templates: str = "dev") -> Iterator[dict[str, Any]]:
    """``n`` synthetic notes with gold PHI spans (deterministic for a seed and template set)."""
    if templates not in TEMPLATE_SETS:
        raise ValueError(f"templates must be one of {sorted(TEMPLATE_SETS)}, got {templates!r}")
    rnd = random.Random(f"{templates}-{seed}")
    fake = Faker(rnd, templates)
    tpls = TEMPLATE_SETS[templates]
    for i in range(n):
        text, ents = render(tpls, rnd, fake)
        if templates == "nursing":  # real nursing notes are often all lower case or all capitals
            case = rnd.random()
            cased = text.lower() if case < 0.4 else text.upper() if case < 0.65 else text
            if len(cased) == len(text):
                text = cased
        yield {"id": f"synth-{templates}-{seed}-{i:06d}", "text": text, "entities": ents}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Write synthetic clinical notes with gold PHI spans as JSONL.")
    ap.add_argument("--n", type=int, default=200, help="number of notes")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--templates", choices=sorted(TEMPLATE_SETS), default="dev")
    ap.add_argument("--out", type=Path, default=None, help="output file (default: standard output)")
    args = ap.parse_args(argv)
    out = args.out.open("w", encoding="utf-8") if args.out else sys.stdout
    try:
        for rec in generate(args.n, args.seed, args.templates):
            out.write(json.dumps(rec, ensure_ascii=False) + "\n")
    finally:
        if args.out:
            out.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# ---------------------------------------------------------------------------------------------- scoring
def score(records: list[dict[str, Any]], predictions: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Recall per gold type and precision per predicted type, label-agnostic (what matters is removal).

    A gold span is *recalled* when every letter and digit in it lies inside some predicted span (of any
    type); a predicted span is *correct* when it overlaps some gold span.
    """
    from collections import Counter

    gold_n: Counter[str] = Counter()
    gold_hit: Counter[str] = Counter()
    pred_n: Counter[str] = Counter()
    pred_ok: Counter[str] = Counter()
    misses: list[dict[str, Any]] = []
    for rec, preds in zip(records, predictions, strict=True):
        text = rec["text"]
        covered = bytearray(len(text))
        for p in preds:
            covered[p["start"] : p["end"]] = b"\x01" * (p["end"] - p["start"])
        for g in rec["entities"]:
            gold_n[g["label"]] += 1
            chars = [i for i in range(g["start"], g["end"]) if text[i].isalnum()]
            if all(covered[i] for i in chars):
                gold_hit[g["label"]] += 1
            else:
                misses.append(
                    {"id": rec.get("id"), "label": g["label"], "start": g["start"], "end": g["end"]}
                )
        for p in preds:
            pred_n[p["label"]] += 1
            if any(p["start"] < g["end"] and g["start"] < p["end"] for g in rec["entities"]):
                pred_ok[p["label"]] += 1
    per_type = {
        t: {
            "gold": gold_n[t],
            "recall": round(gold_hit[t] / gold_n[t], 4) if gold_n[t] else None,
            "predicted": pred_n[t],
            "precision": round(pred_ok[t] / pred_n[t], 4) if pred_n[t] else None,
        }
        for t in sorted(set(gold_n) | set(pred_n))
    }
    tg, tp = sum(gold_n.values()), sum(pred_n.values())
    overall = {
        "gold": tg,
        "recall": round(sum(gold_hit.values()) / tg, 4) if tg else None,
        "predicted": tp,
        "precision": round(sum(pred_ok.values()) / tp, 4) if tp else None,
    }
    return {"overall": overall, "per_type": per_type, "misses": misses}
