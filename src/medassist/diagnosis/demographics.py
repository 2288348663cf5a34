"""Age, sex, duration and onset stated in a patient's own words.

Patterns cover the ways people and clinicians write them: "I'm 34", "a 45-year-old woman", "34M",
"my 2 year old son", "6 month old baby", "for 3 days", "since yesterday", "for the past few weeks",
"came on suddenly".  Every value comes back with the character span it was read from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_NUM = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8,
    "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "couple": 2, "few": 3, "several": 4, "fifteen": 15,
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
}
_NUMBER = r"(\d+(?:\.\d+)?|a|an|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|couple(?: of)?|few|several|fifteen|twenty|thirty|forty|fifty|sixty|seventy|eighty)"


@dataclass
class Value:
    value: object
    start: int
    end: int
    text: str


def _num(s: str) -> float:
    s = s.lower().replace(" of", "")
    return float(s) if re.match(r"\d", s) else float(_NUM.get(s, 1))


_AGE_PATTERNS = [
    # "6 month old", "6-month-old", "6 mo"
    (re.compile(rf"\b{_NUMBER}[- ](?:month|mth|mo)s?[- ]old\b", re.I), 1 / 12),
    (re.compile(rf"\b{_NUMBER}[- ](?:week|wk)s?[- ]old\b", re.I), 1 / 52),
    (re.compile(rf"\b{_NUMBER}[- ]?(?:year|yr)s?[- ]?old\b", re.I), 1.0),
    (re.compile(r"\b(\d{1,3})\s?(?:y/?o|yo|yrs?|y)\b", re.I), 1.0),
    (re.compile(r"\b(\d{1,3})\s?(?:mo|mos|months?)\b(?=\s*(?:old|[mf]\b|baby|infant|girl|boy))", re.I), 1 / 12),
    (re.compile(r"\b(\d{1,3})\s?([mf])\b(?!\w)", re.I), 1.0),  # 34M, 45 F
    (re.compile(r"\b(?:i am|i'm|im|i’m|aged?|age:?)\s+(\d{1,3})\b", re.I), 1.0),
]
_SEX_NOUN = r"(woman|man|male|female|girl|boy|lady|gentleman|guy|mum|mom|dad|father|mother|son|daughter)"
_FEMALE_NOUNS = {"woman", "female", "girl", "lady", "mum", "mom", "mother", "daughter"}
_SEX_PATTERNS = [
    re.compile(r"\b\d{1,3}\s?(?:y/?o\s?)?([mf])\b", re.I),  # 34M, 45 F, 30yo F
    re.compile(rf"\b(?:i am|i'm|im|i’m|as)\s+(?:a|an)\s+(?:\d+[- ]?(?:year|yr)s?[- ]?old\s+)?{_SEX_NOUN}\b", re.I),
    re.compile(rf"\b\d+[- ]?(?:(?:year|yr|month|week)s?[- ]?old|y/?o)\s+{_SEX_NOUN}\b", re.I),
    re.compile(r"\bmy\s+(?:\d+\S*\s+)?(?:(?:year|month)[- ]old\s+)?(son|daughter|boy|girl)\b", re.I),
    re.compile(r"^\s*(male|female)\b", re.I),
    re.compile(r"\b(?:patient|pt)\s+is\s+(?:a|an)\s+(?:\d+[- ]?(?:(?:year|yr)s?[- ]?old|y/?o)\s+)?(woman|man|male|female|girl|boy)\b", re.I),
]
_FEMALE_SELF = re.compile(r"\b(i'm pregnant|i am pregnant|im pregnant|my periods?|weeks pregnant|my last period|my pregnancy)\b", re.I)
_CHILD = re.compile(r"\bmy\s+(?:\d+\S*\s+)?(?:year old |month old )?(son|daughter|baby|child|kid|boy|girl|toddler|infant)\b", re.I)


def extract_age(text: str) -> Value | None:
    for pattern, scale in _AGE_PATTERNS:
        m = pattern.search(text)
        if m:
            age = _num(m.group(1)) * scale
            if 0 <= age <= 120:
                return Value(round(age, 2), m.start(), m.end(), m.group(0))
    if re.search(r"\b(newborn|new-born)\b", text, re.I):
        m = re.search(r"\b(newborn|new-born)\b", text, re.I)
        return Value(0.05, m.start(), m.end(), m.group(0))  # type: ignore[union-attr]
    return None


def extract_sex(text: str) -> Value | None:
    """Sex stated about the patient ("34F", "I'm a 40 year old woman", "my son"), never guessed from
    mentions of other people ("my wife says")."""
    for pattern in _SEX_PATTERNS:
        m = pattern.search(text)
        if m:
            word = m.group(1).lower()
            sex = "female" if word in _FEMALE_NOUNS or word == "f" else "male"
            return Value(sex, m.start(1), m.end(1), m.group(1))
    if not _CHILD.search(text):
        m = _FEMALE_SELF.search(text)
        if m:
            return Value("female", m.start(), m.end(), m.group(0))
    return None


_DUR = re.compile(
    rf"\b(?:for|over|past|last|since)\s+(?:the\s+)?(?:past\s+|last\s+|about\s+|around\s+|nearly\s+|almost\s+|over\s+)?{_NUMBER}?\s*(?:of\s+)?(minute|min|hour|hr|day|night|week|wk|month|year|yr)s?\b",
    re.I,
)
_AGO = re.compile(rf"\b{_NUMBER}\s+(minute|hour|day|week|month|year)s?\s+ago\b", re.I)
_SHORT = re.compile(r"\b(\d+)\s*/\s*(7|52|12)\b")
_CLIN_H = re.compile(r"\b(\d+)\s?h(?:rs?|ours?)?\b(?!\w)", re.I)
_TODAY = re.compile(r"\b(this morning|this afternoon|this evening|today|tonight|an hour ago|last night|just now|few minutes ago|since waking|since i woke up)\b", re.I)
_YESTERDAY = re.compile(r"\b(yesterday|since (?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|the weekend)|couple of days|few days|past days)\b", re.I)
_WEEKS = re.compile(r"\b(few weeks|couple of weeks|a while|since last month)\b", re.I)
_MONTHS = re.compile(r"\b(months|for ages|years|since last year|on and off for)\b", re.I)


def _bucket(amount: float, unit: str) -> str:
    unit = unit.lower()
    hours = {"minute": amount / 60, "min": amount / 60, "hour": amount, "hr": amount, "day": amount * 24,
             "night": amount * 24, "week": amount * 168, "wk": amount * 168, "month": amount * 730,
             "year": amount * 8760, "yr": amount * 8760}[unit]
    if hours < 24:
        return "hours"
    if hours < 24 * 14:
        return "days"
    if hours < 24 * 60:
        return "weeks"
    return "months"


def extract_duration(text: str) -> Value | None:
    """How long the presenting complaint has lasted: the FIRST time expression in the text.

    People state the current episode first and history later ("an hour ago my heart started racing
    ... it happened once last year"), so the earliest mention wins, whatever its form."""
    found: list[Value] = []
    for pattern in (_DUR, _AGO):
        for m in pattern.finditer(text):
            amount = _num(m.group(1)) if m.group(1) else 1.0
            found.append(Value(_bucket(amount, m.group(2)), m.start(), m.end(), m.group(0)))
    for m in _SHORT.finditer(text):
        unit = {"7": "day", "52": "week", "12": "month"}[m.group(2)]
        found.append(Value(_bucket(float(m.group(1)), unit), m.start(), m.end(), m.group(0)))
    for m in _CLIN_H.finditer(text):
        found.append(Value("hours", m.start(), m.end(), m.group(0)))
    for pattern, value in ((_TODAY, "hours"), (_YESTERDAY, "days"), (_WEEKS, "weeks"), (_MONTHS, "months")):
        for m in pattern.finditer(text):
            found.append(Value(value, m.start(), m.end(), m.group(0)))
    return min(found, key=lambda v: v.start) if found else None


_SUDDEN = re.compile(r"\b(sudden(?:ly)?|all of a sudden|out of (?:nowhere|the blue)|came on (?:all )?at once|abrupt(?:ly)?|thunderclap|within (?:seconds|a minute)|instantly)\b", re.I)
_GRADUAL = re.compile(r"\b(gradual(?:ly)?|slowly|crept up|built up|getting (?:slowly )?worse over|creeping|insidious|progressive(?:ly)?)\b", re.I)


def extract_onset(text: str) -> Value | None:
    for pattern, value in ((_SUDDEN, "sudden"), (_GRADUAL, "gradual")):
        m = pattern.search(text)
        if m:
            return Value(value, m.start(), m.end(), m.group(0))
    return None
