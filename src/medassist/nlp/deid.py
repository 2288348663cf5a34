"""De-identification of clinical text (component ``deid``).

Finds the HIPAA Safe Harbor identifiers that occur in text with patterns, context cues and name
lexicons, optionally unions them with the spans of a trained de-identification model, and writes:

* ``note.phi``: one :class:`~medassist.doc.Span` per identifier, offsets into the ORIGINAL text;
* ``note.deid_text``: the text with every identifier replaced, by

  - ``tag``: the type in brackets, ``[NAME]``, ``[DATE]``;
  - ``mask``: one ``*`` per character (white space kept, so offsets still line up);
  - ``surrogate``: realistic stand-ins, consistent within a note (the same name gets the same surrogate
    everywhere, token by token, so "John Smith" and later "Mr. Smith" stay the same person) and one
    random date shift per note, so intervals between dates are kept.  The shift and the surrogates are
    drawn from HMAC(secret, note id or text hash): reruns give the same output, and nobody without the
    secret can reverse them.

Identifier types (``PHI_TYPES``): NAME, DATE (every element but the year), AGE (over 89), PHONE, FAX,
EMAIL, SSN, MRN, HEALTH_PLAN, ACCOUNT, LICENSE, VEHICLE, DEVICE, URL, IP, ADDRESS (street, P.O. box),
CITY, ZIP, FACILITY (hospital and clinic names: they give a place away), ID (other unique numbers).

Nothing here logs or raises with PHI text: log records carry counts per type only.
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import hmac
import logging
import os
import random
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import yaml

from medassist.doc import Note, Span
from medassist.errors import ConfigError, ErrorCode
from medassist.nlp._text import DATA_DIR

log = logging.getLogger(__name__)

PHI_TYPES: tuple[str, ...] = (
    "NAME", "DATE", "AGE", "PHONE", "FAX", "EMAIL", "SSN", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE",
    "VEHICLE", "DEVICE", "URL", "IP", "ADDRESS", "CITY", "ZIP", "FACILITY", "ID",
)  # fmt: skip
MODES = ("tag", "mask", "surrogate")
DEFAULT_SECRET = "medassist-public-default-secret"
SECRET_ENV = "MEDASSIST_DEID_SECRET"

# When two detected spans overlap, the union is kept under the label of the longer one; on a tie the
# label earlier in this list wins (structured patterns are more certain than lexicon guesses).
_PRIORITY = {
    label: i
    for i, label in enumerate(
        ["EMAIL", "URL", "IP", "SSN", "PHONE", "FAX", "DATE", "MRN", "HEALTH_PLAN", "ACCOUNT", "LICENSE",
         "VEHICLE", "DEVICE", "ADDRESS", "ZIP", "AGE", "NAME", "FACILITY", "CITY", "ID"]
    )
}  # fmt: skip

# Labels a model may use, mapped to ours (BIO prefixes are stripped first).
MODEL_LABELS = {
    "PATIENT": "NAME", "DOCTOR": "NAME", "PERSON": "NAME", "PER": "NAME", "USERNAME": "NAME", "STAFF": "NAME",
    "HCW": "NAME", "NAME": "NAME", "DATE": "DATE", "DATE_TIME": "DATE", "AGE": "AGE", "PHONE": "PHONE",
    "PHONE_NUMBER": "PHONE", "FAX": "FAX", "EMAIL": "EMAIL", "EMAIL_ADDRESS": "EMAIL", "SSN": "SSN",
    "US_SSN": "SSN", "MRN": "MRN", "MEDICALRECORD": "MRN", "MEDICAL_RECORD": "MRN", "HEALTHPLAN": "HEALTH_PLAN",
    "HEALTH_PLAN": "HEALTH_PLAN", "ACCOUNT": "ACCOUNT", "LICENSE": "LICENSE", "VEHICLE": "VEHICLE",
    "DEVICE": "DEVICE", "URL": "URL", "IP": "IP", "IP_ADDRESS": "IP", "STREET": "ADDRESS", "ADDRESS": "ADDRESS",
    "LOCATION": "CITY", "LOC": "CITY", "CITY": "CITY", "ZIP": "ZIP", "HOSPITAL": "FACILITY",
    "ORGANIZATION": "FACILITY", "FACILITY": "FACILITY", "ID": "ID", "IDNUM": "ID", "BIOID": "ID",
}  # fmt: skip


# ---------------------------------------------------------------------------------------------- word lists
@dataclass(frozen=True)
class Lexicons:
    first_names: frozenset[str]
    last_names: frozenset[str]
    first_list: tuple[str, ...]
    last_list: tuple[str, ...]
    cities: frozenset[str]
    city_list: tuple[str, ...]
    streets: tuple[str, ...]
    words: dict[str, Any]


def _read_list(path: Path) -> list[str]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(ErrorCode.E510, path=path, detail=exc.strerror or "cannot read") from exc
    return [ln.strip() for ln in lines if ln.strip() and not ln.lstrip().startswith("#")]


@functools.lru_cache(maxsize=4)
def load_lexicons(data_dir: str | None = None) -> Lexicons:
    root = Path(data_dir) if data_dir else DATA_DIR
    firsts = [w.lower() for w in _read_list(root / "first_names.txt")]
    lasts = [w.lower() for w in _read_list(root / "last_names.txt")]
    cities = _read_list(root / "cities.txt")
    streets = _read_list(root / "streets.txt")
    wpath = root / "deid_words.yaml"
    try:
        words = yaml.safe_load(wpath.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(ErrorCode.E510, path=wpath, detail=type(exc).__name__) from exc
    if not isinstance(words, dict):
        raise ConfigError(ErrorCode.E510, path=wpath, detail="expected a mapping")
    return Lexicons(
        frozenset(firsts), frozenset(lasts), tuple(dict.fromkeys(firsts)), tuple(dict.fromkeys(lasts)),
        frozenset(c.lower() for c in cities), tuple(dict.fromkeys(cities)), tuple(streets), words,
    )  # fmt: skip


def _alt(words: Iterable[str]) -> str:
    """A regex alternation of literal phrases, longest first, white space flexible."""
    parts = sorted({w for w in words if w}, key=len, reverse=True)
    return "|".join(r"\s+".join(re.escape(p) for p in w.split()) for w in parts)


# ---------------------------------------------------------------------------------------------- patterns
_MONTHS_FULL = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december"]  # fmt: skip
_MONTH_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
               "sept": 9, "oct": 10, "nov": 11, "dec": 12}  # fmt: skip
MONTH_NUM = {**{m: i + 1 for i, m in enumerate(_MONTHS_FULL)}, **_MONTH_ABBR}
_MON = r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)"
_DAY = r"(?:0?[1-9]|[12]\d|3[01])"
_ORD = rf"{_DAY}(?:st|nd|rd|th)?"
_YEAR = r"(?:19|20)\d{2}"
_WEEKDAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs?)?|fri|sat(?:ur)?|sun)(?:day)?\.?"

_I = re.IGNORECASE
DATE_PATTERNS: list[re.Pattern[str]] = [
    # 2023-03-14, 2023/3/14, 2023.03.14
    re.compile(rf"(?<![\w./-]){_YEAR}([-/.])(?:0?[1-9]|1[0-2])\1{_DAY}(?![\w/-]|\.\d)"),
    # 03/14/2023, 3-14-23, 14.03.2023 (day or month first)
    re.compile(r"(?<![\w./-])(?:\d{1,2})([-/.])(?:\d{1,2})\1(?:\d{4}|\d{2})(?![\w/-]|\.\d)"),
    # 14-Mar-2023, 14 March 2023, 14th of March, 2023, 14Mar2023
    re.compile(
        rf"(?<![\w/-]){_ORD}(?:\s+of)?[\s-]*{_MON}\b\.?(?:[\s,-]*(?:{_YEAR}|'?\d{{2}})(?![\w/-]))?", _I
    ),
    # March 14, 2023 / March 14th / Mar. 14 2023 / Tuesday, March 14
    re.compile(
        rf"(?<![\w/-])(?:{_WEEKDAY},?\s+)?{_MON}\b\.?\s*-?\s*{_ORD}\b(?:,?\s*{_YEAR}\b)?(?![-/]\d)", _I
    ),
    # March 2023, March of 2023, Mar-2023
    re.compile(rf"(?<![\w/-]){_MON}\b\.?(?:\s+of|,)?[\s-]*{_YEAR}\b", _I),
]
# 3/14 without a year: only when the numbers are a plausible date and nothing marks it as a score or ratio.
SHORT_DATE = re.compile(
    r"(?<![\w./-])(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?![\w/]|\.\d|\s*(?:mmhg|mm\b))", _I
)
_SHORT_DATE_CUES = re.compile(
    r"(?:\b(?:on|since|from|until|till|through|thru|dated?|dos|of|by|before|after|last|next|seen|admitted|"
    r"discharged|started|stopped|began|visit|date|due|scheduled|returned?|encounter|note|call|called|phone|"
    r"evaluation|exam|surgery|admission|discharge|consult|procedure|appointment|appt|follow-up|f/u|clinic|birth|"
    r"dob|born|d|t|check|received|sent|drawn|collected|done|performed|colonoscopy|mammogram|echo|labs|edd|lmp|"
    r"due|addendum|rtc|updated|signed|reviewed)\b"
    r"(?:\s+[a-z]+){0,2}[\s:]*|[(:-]\s*|^\s*|\n\s*)$",
    _I,
)
_SHORT_DATE_NOT = re.compile(
    r"^\s*(?:strength|motor|power|murmur|reflex|reflexes|systolic|diastolic|holosystolic|pulses?|grade|mmhg|"
    r"ratio|score|scale|dtr|dtrs|bilaterally|throughout|in\s+(?:all|both|the|upper|lower|bilateral)|"
    r"(?:upper|lower|proximal|distal|left|right|bilateral|both)\b|[ul][ue]\b|extremit|muscle|hip|shoulder|"
    r"knee|grip|wrist|ankle|elbow|flexion|extension|abduction|intensity|sm\b|sem\b)",
    _I,
)
_SHORT_DATE_PREV_NOT = re.compile(
    r"(?:strength|motor|power|murmur|reflexes|grade|bp|blood pressure|pressure|ratio|score|dtrs?|pulses?|pain|"
    r"rated|rates|rating|level|scale|severity|intensity|vas|nrs|"
    r"g\d|p|ef|x|of|is|are|was|were|at|in)\s*:?\s*$",
    _I,
)
ORDINAL_DAY = re.compile(
    r"\b(?:on|by|since|until|till|through|from|before|after|of|starting|beginning|ending)\s+the\s+"
    r"((?:[12]?\d|3[01])(?:st|nd|rd|th))\b(?!\s+(?:percentile|grade|centile|rib|toe|finger|digit|"
    r"intercostal|vertebra|cranial|week|day|dose|cycle|time|ventricle|degree|decade|year|floor|trimester))",
    _I,
)
MONTH_ALONE = re.compile(
    r"\b(?:in|since|during|early|late|mid|until|through|by|last|next|this|of|from|before|after)[\s-]+"
    r"(January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
AGE_PATTERNS = [
    re.compile(r"(?<![\w.])(9\d|1[01]\d)(?=\s*(?:-|\s)?\s*(?:years?|yrs?|y)[\s-]*(?:of\s+age|old|o\b))", _I),
    re.compile(r"(?<![\w.])(9\d|1[01]\d)(?=\s*(?:yo|y/o|y\.o\.|yoa|yrs?\b|years?\b|-?year|[mf]\b))", _I),
    re.compile(r"(?:\bage[ds]?|\bage of|\bat age|\baged)\s*:?\s*(9\d|1[01]\d)(?![\d.])", _I),
    re.compile(r"\b(?:in\s+(?:his|her|their)\s+(?:early\s+|mid\s+|late\s+)?)(9\ds|100s)\b", _I),
]
PHONE = re.compile(
    r"(?<![\w/.-])(?:\+?1[\s.-]?)?(?:\(\d{3}\)\s?|\d{3}[\s.-])\d{3}[\s.-]\d{4}(?:\s*(?:x|ext\.?|extension)\s*\d{1,5})?(?![\w/-])",
    _I,
)
PHONE_CUE_SHORT = re.compile(
    r"\b(?:phone|tel|telephone|cell|mobile|pager|beeper|page|call(?:ed)?|ext|extension|fax)\b\.?\s*(?:#|no\.?|number)?"
    r"\s*:?\s*(?:at\s+)?(\d[\d.-]{3,8}\d)(?![\w/-])",
    _I,
)
FAX_CUE = re.compile(r"\b(?:fax|faxed(?:\s+to)?|facsimile|f)\b\.?\s*(?:#|no\.?|number)?\s*:?\s*$", _I)
EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
URL = re.compile(
    r"\b(?:(?:https?|ftp)://|www\.)[^\s<>\"')\]]+|\b(?:[a-z0-9-]+\.)+(?:com|org|net|edu|gov|io|us|health|info|biz|co)"
    r"\b(?:/[^\s<>\"')\]]*)?",
    _I,
)
IPV4 = re.compile(
    r"(?<![\w.])(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?!\w|\.\d)"
)
IPV6 = re.compile(
    r"(?<![\w:])(?=[0-9a-f:]*[a-f][0-9a-f:]*|[0-9a-f:]*::)(?:[0-9a-f]{1,4}:){2,7}:?[0-9a-f]{1,4}(?![\w:])", _I
)
SSN = re.compile(r"(?<![\w-])\d{3}-\d{2}-\d{4}(?![\w-])|(?<![\w-])\d{3} \d{2} \d{4}(?![\w-])")
VIN = re.compile(r"(?<![\w-])[A-HJ-NPR-Z0-9]{17}(?![\w-])")
MIXED_ID = re.compile(
    r"(?<![\w-])(?=[A-Za-z0-9-]*[A-Za-z])(?=(?:[A-Za-z-]*\d){5})[A-Za-z0-9][A-Za-z0-9-]{5,}(?![\w-])"
)
LONG_NUMBER = re.compile(r"(?<![\w.,/-])\d{7,}(?![\w.,/-]|\.\d)")
DASHED_NUMBER = re.compile(r"(?<![\w./-])\d{2,}(?:-\d{2,}){2,}(?![\w/-])")
PO_BOX = re.compile(r"\bP\.?\s?O\.?\s*Box\s+\d+\b", _I)
_STREET_SUFFIX = (
    r"(?:street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|ter|"
    r"circle|cir|parkway|pkwy|highway|hwy|trail|trl|square|sq|alley|crossing)"
)
_CAPWORD = r"(?:(?:Mc|Mac|O'|D'|De|Van|St\.\s)?[A-Z][a-z]+(?:[-'](?:Mc|Mac)?[A-Z][a-z]+)*)"
STREET = re.compile(
    rf"(?<![\w/.-])\d{{1,6}}(?:-\d{{1,4}})?[A-Za-z]?\s+(?:(?:[NSEW]|North|South|East|West|N\.|S\.|E\.|W\.)\s+)?"
    rf"(?:{_CAPWORD}\.?|\d+(?:st|nd|rd|th))(?:\s+{_CAPWORD}){{0,3}}\s+(?i:{_STREET_SUFFIX})\b\.?"
    rf"(?:,?\s*(?i:apt|apartment|suite|ste|unit|#|room|rm)\.?\s*#?\s*[A-Za-z0-9-]+)?",
)
_NAME_TOKEN = re.compile(rf"{_CAPWORD}|[A-Z]\.|[A-Z](?=\s)")
_CAPS_TOKEN = re.compile(r"[A-Z][A-Z'-]+\b|[A-Z]\.")


_SUBJECT = re.compile(
    rf"(?<![\w'-])({_CAPWORD})(?:'s)?\s+(?:reports|reported|states|stated|says|said|denies|denied|"
    r"complains|complained|presents|presented|returns|returned|lives|lived|works|worked|agrees|agreed|"
    r"declined|declines|understands|understood|feels|felt|called|"
    r"underwent|endorses|endorsed|admits|admitted|recalls|prefers|wants|wanted|wishes|wished|asked|"
    r"requests|verbalized|expressed|fell|walked|drove|smokes|smoked|drinks|drank|tolerated|"
    r"was\s+(?:seen|notified|told|informed|advised|counseled|instructed|called|admitted|discharged|"
    r"transferred|born|married|asked)|"
    r"and\s+(?:his|her|their)|(?:his|her)\s+(?:wife|husband|son|daughter|mother|father)|"
    r"(?:is|was)\s+an?\s+(?=\d)|(?:is|was)\s+the\s+(?:restrained\s+|unrestrained\s+)?(?:driver|passenger|pedestrian|cyclist))"
)


_FROM_PLACE = re.compile(
    r"(?:\bfrom[ \t]+([A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2})(?=[ \t]+in[ \t]+(?:19|20)\d\d\b)"
    r"|\b(?:called|calling|phoned|phoning|visiting|arrived|travell?ed|returned|moved|relocated|drove|flew|came|emailed)"
    r"(?:[ \t]+[a-z0-9]+){0,3}[ \t]+from[ \t]+([A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}))"
)
_TOWN_AFTER = re.compile(
    r",[ \t]*((?:St\.[ \t]|Saint[ \t]|Fort[ \t]|Mount[ \t])?[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2})(?![\w-])"
)
_ZIP_AFTER = re.compile(r",?[ \t]+(?:[A-Z]{2}[ \t]+)?(\d{5}(?:-\d{4})?)(?![\w-])")
_POSSESSIVE_RELATION = re.compile(
    rf"(?<![\w'-])({_CAPWORD})'s[ \t]+(?:daughter|son|wife|husband|mother|father|sister|brother|partner|spouse|"
    r"children|kids|family|caregiver|grandson|granddaughter|niece|nephew|parents|friend|neighbor|home|house|"
    r"apartment|phone|cell)\b"
)
_CARE_UNIT = re.compile(
    r"\s*\b(?:Unit|Room|Care|Nursery|Floor|Department|Service|Center|Clinic|Hospital|Ward|Suite|Bay)\b"
)
_CAPS_SUBJECT = re.compile(
    r"(?<![\w'-])([A-Z]{2,}(?:-[A-Z]{2,})?(?:,? [A-Z]\.?)?,? [A-Z]{2,}(?:-[A-Z]{2,})?)\s+(?:was|is|has|had|reports|states|called|"
    r"denies|presents|returns|will|agrees)\b"
)


@functools.lru_cache(maxsize=1)
def _clinical_vocabulary() -> frozenset[str]:
    """One-word terms of the clinical lexicon ("fever", "Lasix"): a capitalised term is not a name."""
    try:
        from medassist.nlp.lexicon import build_lexicon

        return frozenset(term for term, _ in build_lexicon().terms() if " " not in term and term.isalpha())
    except Exception as exc:  # the lexicon is optional for de-identification
        log.info("deid: clinical vocabulary not available (%s)", type(exc).__name__)
        return frozenset()


def _is_ok_short_date(text: str, m: re.Match[str]) -> bool:
    before = text[max(0, m.start() - 30) : m.start()]
    after = text[m.end() : m.end() + 30]
    if _SHORT_DATE_NOT.match(after) or _SHORT_DATE_PREV_NOT.search(before):
        return bool(_SHORT_DATE_CUES.search(before)) and not _SHORT_DATE_NOT.match(after)
    month, day = int(m.group(1)), int(m.group(2))
    if _SHORT_DATE_CUES.search(before):
        return True
    if day == 10:
        return False  # "8/10" is a pain score far more often than August 10th
    # a bare "4/5" or "2/6" is more often a score than a date
    return not (month <= 6 and day <= 6)


# ---------------------------------------------------------------------------------------------- detector
@dataclass
class _Hit:
    start: int
    end: int
    label: str
    source: str = "rules"
    score: float = 1.0


class RuleDetector:
    """Finds PHI spans with patterns, cues and lexicons.  Stateless; one instance serves many notes."""

    def __init__(self, lex: Lexicons | None = None) -> None:
        self.lex = lex or load_lexicons()
        w = self.lex.words
        self.ambiguous = frozenset(x.lower() for x in w.get("ambiguous_first_names", []))
        self.not_names = frozenset(x.lower() for x in w.get("not_names", []))
        self.eponyms = frozenset(x.lower() for x in w.get("eponyms", []))
        self.not_places = frozenset(x.lower() for x in w.get("not_places", []))
        ep = _alt(w.get("eponym_nouns", []))
        self._eponym_after = re.compile(rf"^(?:'s)?(?:\s*-\s*[A-Z][a-z]+)?\s+(?:{ep})\b", _I)
        titles = _alt(w.get("titles", []))
        self._title = re.compile(rf"\b(?:{titles})\b\.?\s+", _I)
        creds = _alt(w.get("credentials", []))
        self._cred = re.compile(rf"^,?[ \t]+(?:{creds})(?![\w])", _I)
        cues = w.get("name_cues", [])
        colon_cues = [c["cue"] for c in cues if c.get("colon")]
        plain_cues = [c["cue"] for c in cues if not c.get("colon")]
        self._cue_colon = re.compile(rf"\b(?:{_alt(colon_cues)})\s*[:#-]\s*", _I) if colon_cues else None
        self._cue_plain = re.compile(rf"\b(?:{_alt(plain_cues + colon_cues)})\b,?\s+\(?", _I)
        self.vocab = _clinical_vocabulary()
        self._id_cues: list[tuple[str, re.Pattern[str]]] = []
        for label, phrases in (w.get("id_cues") or {}).items():
            pat = re.compile(
                rf"(?<![\w])(?:{_alt(phrases)})(?![\w])\s*(?:number|num|no\.?|#|is|of|id)?\s*[:#=.-]?\s*(?:is\s+)?"
                rf"((?=[A-Za-z0-9-]*\d)[A-Za-z0-9][A-Za-z0-9/-]*[A-Za-z0-9](?:[ -](?=[A-Z0-9]*\d)[A-Z0-9]{{2,}})?)",
                _I,
            )
            self._id_cues.append((label, pat))
        self._place_cue = re.compile(rf"\b(?:{_alt(w.get('place_cues', []))})\s+(?=[A-Z])", _I)
        states = "|".join(w.get("us_states_abbr", []))
        state_names = (
            "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|"
            "Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|"
            "Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|"
            "New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|"
            "South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|"
            "Wisconsin|Wyoming"
        )
        self._city_state = re.compile(
            rf"((?:[A-Z][a-z]+\.?)(?:[ -][A-Z][a-z]+){{0,2}}),\s*(?:{states}|{state_names})\b\.?"
            rf"(?:\s*,?\s+(\d{{5}}(?:-\d{{4}})?))?(?![\w-])"
        )
        self._zip_cue = re.compile(r"\b(?:zip(?:\s*code)?|postal\s+code)\s*:?\s*(\d{5}(?:-\d{4})?)\b", _I)
        self._zip_state = re.compile(rf"\b(?:{states})\s+(\d{{5}}(?:-\d{{4}})?)\b")
        city_alt = _alt(self.lex.city_list)
        self._city_lex = re.compile(rf"(?<![\w-])(?:{city_alt})(?![\w-])")
        self._holiday = re.compile(rf"\b(?:{_alt(w.get('holidays', []))})\b", _I)
        fac_words = w.get("facility_words", [])
        fac = _alt([f.title() for f in fac_words])
        self._facility = re.compile(
            rf"(?:\b(?:St\.?|Saint|Mount|Mt\.?)[ \t]+)?(?:\b[A-Z][A-Za-z'&-]+(?:'s)?[ \t]+){{1,4}}(?:{fac})\b"
        )
        self._signature_initials = re.compile(r"(?m)^\s*([A-Z]{2,3})\s*/\s*([a-z]{2,3}|[A-Z]{2,3})\s*$")
        self._initials_cue = re.compile(r"\binitials?\s*:?\s*([A-Z]{2,3})\b")

    # ---------------------------------------------------------------- helpers
    def _is_name_word(self, word: str) -> bool:
        low = word.lower().rstrip(".")
        return low not in self.not_names and low not in self.eponyms

    def _is_cued_name_word(self, word: str) -> bool:
        """After a title or a cue, a word in the name lexicons is a name even if it is also a common word."""
        low = word.lower().rstrip(".")
        if low in _MONTHS_FULL or low in {
            "the",
            "a",
            "an",
            "he",
            "she",
            "patient",
            "pt",
            "and",
            "or",
            "on",
            "in",
        }:
            return False
        return self._is_name_word(word) or low in self.lex.first_names or low in self.lex.last_names

    def _is_titled_name_word(self, word: str) -> bool:
        """Right after "Mr."/"Dr.", any capitalised word but a handful of function words is a name."""
        low = word.lower().rstrip(".")
        return low not in {"the", "a", "an", "and", "or", "on", "in", "of", "is", "was", "to"}

    def _unknown_word(self, word: str) -> bool:
        """A capitalised word that is neither a known non-name nor clinical vocabulary."""
        low = word.lower()
        return (
            low not in self.not_names
            and low not in self.vocab
            and low not in self.eponyms
            and low not in self.ambiguous
            and low.rstrip("s") not in self.vocab
        )

    def _eponym_follows(self, text: str, end: int) -> bool:
        return bool(self._eponym_after.match(text[end : end + 40]))

    def _take_name(
        self, text: str, pos: int, caps: bool, max_tokens: int = 4, cue: bool = False, title: bool = False
    ) -> tuple[int, int] | None:
        ok = self._is_name_word if not cue else self._is_cued_name_word
        if title:
            ok = self._is_titled_name_word
        """The name that starts at ``pos``: 1-4 capitalised tokens or initials ("John Q. Public", "SMITH, JOHN").

        After a cue (``cue=True``) "Last, First" continues over the comma for any name-like word; otherwise
        only when the word after the comma is a known given name.
        """
        pat = _CAPS_TOKEN if caps else _NAME_TOKEN
        start = end = -1
        count = 0
        i = pos
        n = len(text)
        while count < max_tokens and i < n:
            m = pat.match(text, i)
            if m is None:
                break
            word = m.group()
            if word.isupper() and not caps and len(word) > 2 and not word.endswith("."):
                break
            if not ok(word):
                break
            if count == 0:
                start = m.start()
            end = m.end()
            count += 1
            i = m.end()
            if i < n and text[i] == "," and count == 1:
                k = i + 1
                while k < n and text[k] == " ":
                    k += 1
                m2 = pat.match(text, k)
                if m2 and ok(m2.group()) and (cue or caps or m2.group().lower() in self.lex.first_names):
                    i = k
                    continue
            j = i
            while j < n and text[j] == " ":
                j += 1
            if j - i != 1 and not (j == i and word.endswith(".")):
                break
            i = j
        if start < 0:
            return None
        return (start, end)

    def _widen(self, text: str, hits: list[_Hit]) -> list[_Hit]:
        out = []
        left = re.compile(rf"(?:({_CAPWORD})[ \t](?:[A-Z]\.[ \t])?|([A-Z]\.)[ \t])$")
        for h in hits:
            s, e = h.start, h.end
            for _ in range(2):
                m = left.search(text, max(0, s - 40), s)
                if not m:
                    break
                word = m.group(1) or m.group(2)
                low = word.lower().rstrip(".")
                if (
                    m.group(1)
                    and not (low in self.lex.first_names or self._unknown_word(word))
                    or low in self.not_names
                ):
                    break
                s = m.start()
            if s != h.start:
                out.append(_Hit(s, e, "NAME", score=h.score))
        return out

    def _maybe_person(self, word: str) -> bool:
        low = word.lower()
        return low in self.lex.first_names or low in self.lex.last_names

    # ---------------------------------------------------------------- detection
    def find(self, text: str) -> list[_Hit]:
        hits: list[_Hit] = []
        add = hits.append
        for pat in (EMAIL,):
            for m in pat.finditer(text):
                add(_Hit(m.start(), m.end(), "EMAIL"))
        for m in URL.finditer(text):
            s, e = m.start(), m.end()
            while e > s and text[e - 1] in ".,;:":
                e -= 1
            if "@" in text[max(0, s - 1) : s]:
                continue
            add(_Hit(s, e, "URL"))
        for m in IPV4.finditer(text):
            add(_Hit(m.start(), m.end(), "IP"))
        for m in IPV6.finditer(text):
            add(_Hit(m.start(), m.end(), "IP"))
        for m in SSN.finditer(text):
            add(_Hit(m.start(), m.end(), "SSN"))
        for m in PHONE.finditer(text):
            label = "FAX" if FAX_CUE.search(text[max(0, m.start() - 16) : m.start()]) else "PHONE"
            add(_Hit(m.start(), m.end(), label))
        for m in PHONE_CUE_SHORT.finditer(text):
            head = text[m.start() : m.start(1)].lower()
            add(_Hit(m.start(1), m.end(1), "FAX" if "fax" in head else "PHONE"))
        self._dates(text, add)
        for pat in AGE_PATTERNS:
            for m in pat.finditer(text):
                add(_Hit(m.start(1), m.end(1), "AGE"))
        for label, pat in self._id_cues:
            for m in pat.finditer(text):
                value = m.group(1)
                if label != "SSN" and len(re.sub(r"\D", "", value)) < 3 and len(value) < 5:
                    continue
                add(_Hit(m.start(1), m.end(1), label))
        for m in VIN.finditer(text):
            if re.search(r"\d", m.group()) and re.search(r"[A-Z]", m.group()):
                add(_Hit(m.start(), m.end(), "VEHICLE"))
        for pat in (MIXED_ID, LONG_NUMBER, DASHED_NUMBER):
            for m in pat.finditer(text):
                add(_Hit(m.start(), m.end(), "ID", score=0.8))
        self._places(text, add)
        self._names(text, hits)
        self._address_tail(text, hits)
        return hits

    def _address_tail(self, text: str, hits: list[_Hit]) -> None:
        """After a street address comes the town, after a town the ZIP code: "12 Oak St, Oxbow 02155"."""
        extra: list[_Hit] = []
        for h in hits:
            if h.label == "ADDRESS":
                m = _TOWN_AFTER.match(text, h.end)
                if (
                    m
                    and m.group(1).lower() not in self.not_places
                    and m.group(1).split()[0].lower() not in self.not_names
                ):
                    extra.append(_Hit(m.start(1), m.end(1), "CITY", score=0.8))
                    h = extra[-1]
            if h.label == "CITY":
                m = _ZIP_AFTER.match(text, h.end)
                if m:
                    extra.append(_Hit(m.start(1), m.end(1), "ZIP", score=0.8))
        hits.extend(extra)

    def _dates(self, text: str, add: Callable[[_Hit], None]) -> None:
        for pat in DATE_PATTERNS:
            for m in pat.finditer(text):
                s, e = m.start(), m.end()
                frag = m.group()
                if re.fullmatch(r"\d{1,2}([-/.])\d{1,2}\1\d{2,4}", frag):
                    a, b = (int(x) for x in re.split(r"[-/.]", frag)[:2])
                    if not ((1 <= a <= 12 and 1 <= b <= 31) or (1 <= b <= 12 and 1 <= a <= 31)):
                        continue
                    if frag.count(".") == 2 and len(frag.split(".")[2]) == 2 and a > 12 and b > 12:
                        continue
                while e > s and text[e - 1] in " ,-":
                    e -= 1
                add(_Hit(s, e, "DATE"))
        for m in SHORT_DATE.finditer(text):
            if _is_ok_short_date(text, m):
                add(_Hit(m.start(), m.end(), "DATE", score=0.9))
        for m in ORDINAL_DAY.finditer(text):
            add(_Hit(m.start(1), m.end(1), "DATE", score=0.9))
        for m in MONTH_ALONE.finditer(text):
            if m.group(1) == "May" and not re.match(r"\s*(?:\d|of\b|,|\.|$)", text[m.end(1) : m.end(1) + 4]):
                continue
            add(_Hit(m.start(1), m.end(1), "DATE", score=0.9))
        for m in self._holiday.finditer(text):
            add(_Hit(m.start(), m.end(), "DATE", score=0.8))

    def _places(self, text: str, add: Callable[[_Hit], None]) -> None:
        for m in STREET.finditer(text):
            add(_Hit(m.start(), m.end(), "ADDRESS"))
        for m in PO_BOX.finditer(text):
            add(_Hit(m.start(), m.end(), "ADDRESS"))
        for m in self._city_state.finditer(text):
            city = m.group(1)
            if city.lower() not in self.not_names and city.lower() not in self.not_places:
                add(_Hit(m.start(1), m.end(1), "CITY"))
            if m.group(2):
                add(_Hit(m.start(2), m.end(2), "ZIP"))
        for pat in (self._zip_cue, self._zip_state):
            for m in pat.finditer(text):
                add(_Hit(m.start(1), m.end(1), "ZIP"))
        for m in self._city_lex.finditer(text):
            if self._eponym_follows(text, m.end()):
                continue
            add(_Hit(m.start(), m.end(), "CITY", score=0.8))
        for m in self._place_cue.finditer(text):
            pm = re.match(
                r"(?:St\.\s|Saint\s|Fort\s|Mount\s|Mt\.\s|New\s|San\s|Los\s|Las\s|El\s)?[A-Z][a-z]+(?:[ -][A-Z][a-z]+){0,2}",
                text[m.end() :],
            )
            if not pm:
                continue
            place = pm.group()
            if place.lower() in self.not_places or place.split()[0].lower() in self.not_names:
                continue
            if place.lower() in self.lex.first_names and place.lower() not in self.lex.cities:
                continue
            if place.lower() not in self.lex.cities and not self._unknown_word(re.split(r"[ -]", place)[0]):
                continue
            if _CARE_UNIT.search(place) or _CARE_UNIT.match(text, m.end() + pm.end()):
                continue
            add(_Hit(m.end(), m.end() + pm.end(), "CITY", score=0.7))
        for m in _FROM_PLACE.finditer(text):
            g = 1 if m.group(1) else 2
            place = m.group(g)
            if place.lower() in self.not_places or _CARE_UNIT.search(place):
                continue
            if place.lower() in self.lex.cities or self._unknown_word(place.split()[0]):
                add(_Hit(m.start(g), m.end(g), "CITY", score=0.7))
        for m in self._facility.finditer(text):
            words = list(re.finditer(r"\S+", m.group()))
            k = 0
            while k < len(words) - 1:
                w = words[k].group()
                if (
                    w[0].islower()
                    or w.lower() in {"the", "at", "to", "from", "in", "seen", "and"}
                    or (w.isupper() and len(w) <= 4)
                ):
                    k += 1
                else:
                    break
            if k >= len(words) - 1:
                continue
            add(_Hit(m.start() + words[k].start(), m.end(), "FACILITY", score=0.8))

    def _names(self, text: str, hits: list[_Hit]) -> None:
        found: list[_Hit] = []
        add = found.append
        # 1. titles: "Dr. Jane Smith", "Mr. O'Brien"
        for m in self._title.finditer(text):
            caps = text[m.end() : m.end() + 2].isupper() and text[m.end() + 1 : m.end() + 2].isalpha()
            span = self._take_name(text, m.end(), caps=caps, max_tokens=3, cue=True, title=True)
            if span:  # after a title, a name is a person even before "sign" or "test"
                add(_Hit(span[0], span[1], "NAME"))
        # 2. cues: "Patient: John Smith", "seen by Jane Doe", "wife Mary"
        if self._cue_colon is not None:
            for m in self._cue_colon.finditer(text):
                caps = bool(re.match(r"[A-Z]{2,}", text[m.end() : m.end() + 3]))
                span = self._take_name(text, m.end(), caps=caps, max_tokens=4, cue=True)
                if span:
                    add(_Hit(span[0], span[1], "NAME"))
        for m in self._cue_plain.finditer(text):
            span = self._take_name(text, m.end(), caps=False, max_tokens=3, cue=True)
            if span and not self._eponym_follows(text, span[1]):
                add(_Hit(span[0], span[1], "NAME"))
        # 3. credentials after a name: "Jane Smith, MD", "J. Doe RN"
        for m in re.finditer(
            rf"((?:{_CAPWORD}|[A-Z]\.)(?:\s+(?:{_CAPWORD}|[A-Z]\.)){{0,3}})(?=,?\s+[A-Z])", text
        ):
            if self._cred.match(text[m.end() : m.end() + 16]):
                toks = list(re.finditer(rf"{_CAPWORD}|[A-Z]\.", m.group()))
                # keep the last tokens that look like a name (stop at a non-name word)
                keep = []
                for t in reversed(toks):
                    if not self._is_name_word(t.group()):
                        break
                    keep.append(t)
                if keep:
                    add(_Hit(m.start() + keep[-1].start(), m.start() + keep[0].end(), "NAME"))
        for m in re.finditer(
            r"(?<![\w'-])([A-Z][A-Z'-]+(?:[ \t][A-Z]\.?)?(?:,?[ \t][A-Z][A-Z'-]+){1,2})(?=,?[ \t]+(?:MD|DO|RN|NP|PA|PA-C|M\.D\.)\b)",
            text,
        ):
            if all(w.lower() not in self.not_names for w in re.findall(r"[A-Za-z'-]{2,}", m.group(1))):
                add(_Hit(m.start(1), m.end(1), "NAME", score=0.8))
        # 4. lexicon: first name (+ initial) + capitalised word; "Last, First"; known first names alone
        firsts, lasts = self.lex.first_names, self.lex.last_names
        for m in re.finditer(rf"(?<![\w'-]){_CAPWORD}(?![\w'-])", text):
            word = m.group()
            low = word.lower()
            if low in firsts and low not in self.not_names:
                nxt = re.match(
                    rf"[ \t](?:[A-Z]\.?[ \t])?({_CAPWORD})(?![\w'-])", text[m.end() : m.end() + 40]
                )
                if (
                    nxt
                    and (nxt.group(1).lower() in lasts or self._is_name_word(nxt.group(1)))
                    and not self._eponym_follows(text, m.end() + nxt.end())
                ):
                    if low in self.ambiguous and nxt.group(1).lower() not in lasts:
                        continue
                    add(_Hit(m.start(), m.end() + nxt.end(), "NAME", score=0.9))
                elif (
                    low not in self.ambiguous
                    and low not in self.eponyms
                    and not self._eponym_follows(text, m.end())
                ):
                    add(_Hit(m.start(), m.end(), "NAME", score=0.7))
            elif low in lasts and low not in self.not_names and low not in self.eponyms:
                # "Smith, John" or "J. Smith" or "Smith J"
                back = text[max(0, m.start() - 4) : m.start()]
                fwd = re.match(rf",\s*({_CAPWORD})(?![\w'-])", text[m.end() : m.end() + 30])
                if fwd and fwd.group(1).lower() in firsts:
                    add(_Hit(m.start(), m.end() + fwd.end(), "NAME", score=0.9))
                elif re.search(r"(?:^|[^\w.])[A-Z]\.\s*$", back) and not self._eponym_follows(text, m.end()):
                    add(
                        _Hit(
                            m.start() - len(back) + re.search(r"[A-Z]\.\s*$", back).start(),
                            m.end(),
                            "NAME",
                            score=0.8,
                        )
                    )  # type: ignore[union-attr]
        # unknown capitalised word used as a subject: "Bjorn reports", "Okafor was seen"
        for m in _SUBJECT.finditer(text):
            word = m.group(1)
            low = word.lower()
            if (
                self._unknown_word(word) or low in self.lex.first_names and low not in self.not_names
            ) and not self._eponym_follows(text, m.end(1)):
                add(_Hit(m.start(1), m.end(1), "NAME", score=0.6))
        for m in _CAPS_SUBJECT.finditer(text):
            words = [w for w in re.split(r"[\s,-]+", m.group(1)) if w]
            if all(
                self._unknown_word(w) or w.lower() in self.lex.first_names or w.lower() in self.lex.last_names
                for w in words
            ):
                add(_Hit(m.start(1), m.end(1), "NAME", score=0.6))
        # possessive before a relation: "Emeka's daughter", "Mr. Lee's wife"
        for m in _POSSESSIVE_RELATION.finditer(text):
            word = m.group(1)
            if (
                word.lower() not in self.not_names
                and word.lower() not in self.vocab
                and not self._eponym_follows(text, m.end(1))
            ):
                add(_Hit(m.start(1), m.end(1), "NAME", score=0.7))
        # "Okafor, Chidi is a 97-year-old": surname, given name before an age statement
        for m in re.finditer(
            rf"(?<![\w'-])({_CAPWORD}),[ \t]+({_CAPWORD})(?=[ \t]+(?:is|was)[ \t]+an?[ \t]+\d)", text
        ):
            if all(self._is_cued_name_word(w) for w in (m.group(1), m.group(2))):
                add(_Hit(m.start(), m.end(), "NAME", score=0.7))
        # initial + unknown capitalised word: "J. Zielinski"
        for m in re.finditer(rf"(?<![\w.])([A-Z]\.\s?)({_CAPWORD})(?![\w'-])", text):
            w2 = m.group(2).lower()
            if (
                self._unknown_word(m.group(2)) or w2 in self.lex.last_names or w2 in self.lex.first_names
            ) and not self._eponym_follows(text, m.end()):
                add(_Hit(m.start(), m.end(), "NAME", score=0.7))
        # ALL-CAPS "JOHN SMITH" when both words are in the lexicons
        for m in re.finditer(r"\b([A-Z]{2,}),?\s+(?:[A-Z]\.?\s+)?([A-Z]{2,}(?:-[A-Z]{2,})?)\b", text):
            a, b = m.group(1).lower(), m.group(2).lower()
            if (
                a in firsts
                and b in lasts
                and a not in self.not_names
                and b not in self.not_names
                or a in lasts
                and b in firsts
                and "," in m.group()
            ):
                add(_Hit(m.start(), m.end(), "NAME", score=0.8))
        # 5. initials: "JS/mk" dictation lines, "Initials: AB"
        for m in self._signature_initials.finditer(text):
            add(_Hit(m.start(1), m.end(1), "NAME", score=0.8))
            add(_Hit(m.start(2), m.end(2), "NAME", score=0.8))
        for m in self._initials_cue.finditer(text):
            add(_Hit(m.start(1), m.end(1), "NAME", score=0.8))
        # 6. signature blocks: the line after "Sincerely," or a line of underscores
        for m in re.finditer(
            r"(?im)^(?:sincerely|regards|best regards|respectfully|_{4,}|-{4,})[,:]?\s*\n\s*(.+)$", text
        ):
            line = m.group(1)
            span = self._take_name(line, 0, caps=line[:2].isupper(), max_tokens=4)
            if span:
                add(_Hit(m.start(1) + span[0], m.start(1) + span[1], "NAME"))
        # 7. widen each name over adjacent name-like words on the same line ("Philippa T. [Tyler]")
        found.extend(self._widen(text, found))
        # 8. propagation: every other mention of a name token found above
        tokens: set[str] = set()
        for h in found:
            for t in re.finditer(r"[A-Za-z][A-Za-z'-]+", text[h.start : h.end]):
                w = t.group().strip("'-")
                if len(w) >= 2 and w.lower() not in self.not_names and w.lower() not in self.eponyms:
                    if w.lower() in self.ambiguous and h.score < 1.0:
                        continue
                    tokens.add(w)
        if tokens:
            variants = set()
            for w in tokens:
                variants.update({w, w.upper(), w[:1].upper() + w[1:].lower()})
            pat = re.compile(
                rf"(?<![\w'-])(?:{'|'.join(re.escape(v) for v in sorted(variants, key=len, reverse=True))})(?![\w-])"
            )
            for m in pat.finditer(text):
                if not self._eponym_follows(text, m.end()):
                    add(_Hit(m.start(), m.end(), "NAME", score=0.8))
        hits.extend(found)


def merge_hits(hits: list[_Hit], text: str) -> list[Span]:
    """Union of overlapping hits; the label of the longest (then the most certain type) is kept."""
    if not hits:
        return []
    hits = sorted(hits, key=lambda h: (h.start, -h.end))
    groups: list[list[_Hit]] = [[hits[0]]]
    gend = hits[0].end
    for h in hits[1:]:
        if h.start < gend:
            groups[-1].append(h)
            gend = max(gend, h.end)
        else:
            groups.append([h])
            gend = h.end
    out: list[Span] = []
    for g in groups:
        s = min(h.start for h in g)
        e = max(h.end for h in g)
        best = min(g, key=lambda h: (-(h.end - h.start), _PRIORITY.get(h.label, 99)))
        sources = sorted({h.source for h in g})
        out.append(Span(s, e, best.label, text[s:e], max(h.score for h in g), "+".join(sources)))
    return out


# ---------------------------------------------------------------------------------------------- surrogates
def _digest(secret: str, *parts: str) -> bytes:
    return hmac.new(secret.encode(), "\x1f".join(parts).encode(), hashlib.sha256).digest()


def _pick(seq: tuple[str, ...], secret: str, *parts: str) -> str:
    return seq[int.from_bytes(_digest(secret, *parts)[:8], "big") % len(seq)]


def _match_case(src: str, word: str) -> str:
    if src.isupper() and len(src) > 1:
        return word.upper()
    if src[:1].isupper():
        return word[:1].upper() + word[1:]
    return word.lower()


_MONTH_NAMES = [m.capitalize() for m in _MONTHS_FULL]


def _ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class DateShifter:
    """Parses the common date shapes and writes the shifted date back in the same shape."""

    _NUM3 = re.compile(r"^(\d{1,4})([-/.])(\d{1,2})\2(\d{2,4})$")
    _NUM2 = re.compile(r"^(\d{1,2})/(\d{1,2})$")
    _MDY = re.compile(
        rf"^(?:({_WEEKDAY}),?\s+)?({_MON})(\.?)(\s*-?\s*)(\d{{1,2}})(st|nd|rd|th)?(?:(,?\s*)({_YEAR}))?$", _I
    )
    _DMY = re.compile(
        rf"^(\d{{1,2}})(st|nd|rd|th)?(\s+of)?([\s-]*)({_MON})(\.?)(?:([\s,-]*)({_YEAR}|'?\d{{2}}))?$", _I
    )
    _MY = re.compile(rf"^({_MON})(\.?)((?:\s+of|,)?[\s-]*)({_YEAR})$", _I)
    _M = re.compile(rf"^({_MON})$", _I)
    _D = re.compile(r"^(\d{1,2})(st|nd|rd|th)$", _I)

    def __init__(self, days: int) -> None:
        self.days = days
        self.ref_year = 2000
        self.ref_month = 1

    @staticmethod
    def _mon(token: str, month: int) -> str:
        """Render ``month`` in the style of ``token`` (full or abbreviated name, same case)."""
        full = _MONTH_NAMES[month - 1]
        out = (
            full
            if len(token) > 4 or token.lower() in _MONTHS_FULL
            else full[:3]
            if len(token) == 3
            else full[:4]
            if token.lower() == "sept"
            else full[:3]
        )
        return _match_case(token, out)

    def _shift(self, y: int, m: int, d: int) -> dt.date | None:
        try:
            return dt.date(y, m, d) + dt.timedelta(days=self.days)
        except ValueError:
            return None

    def observe(self, text: str) -> None:
        """Remember year and month of a full date, for later dates written without them."""
        parsed = self._full(text)
        if parsed:
            self.ref_year, self.ref_month = parsed.year, parsed.month

    def _full(self, text: str) -> dt.date | None:
        t = text.strip()
        m = self._NUM3.match(t)
        try:
            if m:
                a, b, c = m.group(1), int(m.group(3)), m.group(4)
                if len(a) == 4:
                    return dt.date(int(a), b, int(c))
                y = int(c) if len(c) == 4 else 2000 + int(c) if int(c) < 50 else 1900 + int(c)
                return dt.date(y, int(a), b) if int(a) <= 12 else dt.date(y, b, int(a))
            m = self._MDY.match(t)
            if m and m.group(8):
                return dt.date(int(m.group(8)), MONTH_NUM[m.group(2).lower().rstrip(".")], int(m.group(5)))
            m = self._DMY.match(t)
            if m and m.group(8) and len(m.group(8).lstrip("'")) == 4:
                return dt.date(int(m.group(8)), MONTH_NUM[m.group(5).lower()], int(m.group(1)))
        except (ValueError, KeyError):
            return None
        return None

    def shift(self, text: str) -> str | None:
        """The shifted date in the same shape, or None if the shape is not understood."""
        t = text.strip()
        m = self._NUM3.match(t)
        if m:
            a, sep, b, c = m.group(1), m.group(2), m.group(3), m.group(4)
            pad = a.startswith("0") or b.startswith("0")
            if len(a) == 4:
                new = self._shift(int(a), int(b), int(c))
                if new is None:
                    return None
                fm = f"{new.month:02d}" if len(b) == 2 else str(new.month)
                fd = f"{new.day:02d}" if len(c) == 2 else str(new.day)
                return f"{new.year}{sep}{fm}{sep}{fd}"
            y = int(c) if len(c) == 4 else (2000 + int(c) if int(c) < 50 else 1900 + int(c))
            day_first = int(a) > 12
            mo, da = (int(b), int(a)) if day_first else (int(a), int(b))
            new = self._shift(y, mo, da)
            if new is None:
                return None
            f1, f2 = (new.day, new.month) if day_first else (new.month, new.day)
            s1 = f"{f1:02d}" if pad or len(a) == 2 and a.startswith("0") else str(f1)
            s2 = f"{f2:02d}" if pad else str(f2)
            ys = str(new.year) if len(c) == 4 else f"{new.year % 100:02d}"
            return f"{s1}{sep}{s2}{sep}{ys}"
        m = self._NUM2.match(t)
        if m:
            new = self._shift(self.ref_year, int(m.group(1)), int(m.group(2)))
            if new is None:
                return None
            return f"{new.month:0{len(m.group(1))}d}/{new.day:0{len(m.group(2))}d}"
        m = self._MDY.match(t)
        if m:
            wd, mon, dot, sp, day, suf, comma, year = m.groups()
            y = int(year) if year else self.ref_year
            new = self._shift(y, MONTH_NUM[mon.lower()], int(day))
            if new is None:
                return None
            out = ""
            if wd:
                name = new.strftime("%A") if len(wd.rstrip(".")) > 3 else new.strftime("%a")
                out = _match_case(wd, name) + ("," if "," in t[: t.lower().find(mon.lower())] else "") + " "
            out += f"{self._mon(mon, new.month)}{dot}{sp}"
            out += _ordinal(new.day) if suf else str(new.day)
            if year:
                out += f"{comma}{new.year}"
            return out
        m = self._DMY.match(t)
        if m:
            day, suf, of, sp, mon, dot, sep2, year = m.groups()
            if year:
                ys = year.lstrip("'")
                y = int(ys) if len(ys) == 4 else 2000 + int(ys) if int(ys) < 50 else 1900 + int(ys)
            else:
                y = self.ref_year
            new = self._shift(y, MONTH_NUM[mon.lower()], int(day))
            if new is None:
                return None
            out = (
                (_ordinal(new.day) if suf else f"{new.day:0{len(day)}d}")
                + (of or "")
                + sp
                + self._mon(mon, new.month)
                + dot
            )
            if year:
                yv = (
                    str(new.year)
                    if len(year.lstrip("'")) == 4
                    else ("'" if year.startswith("'") else "") + f"{new.year % 100:02d}"
                )
                out += f"{sep2}{yv}"
            return out
        m = self._MY.match(t)
        if m:
            mon, dot, mid, year = m.groups()
            new = self._shift(int(year), MONTH_NUM[mon.lower()], 15)
            return None if new is None else f"{self._mon(mon, new.month)}{dot}{mid}{new.year}"
        m = self._M.match(t)
        if m:
            new = self._shift(self.ref_year, MONTH_NUM[t.lower()], 15)
            return None if new is None else self._mon(t, new.month)
        m = self._D.match(t)
        if m:
            new = self._shift(self.ref_year, self.ref_month, int(m.group(1)))
            return None if new is None else _ordinal(new.day)
        return None


class Surrogates:
    """Consistent stand-ins for one note."""

    def __init__(self, secret: str, note_key: str, lex: Lexicons) -> None:
        self.secret = secret
        self.key = note_key
        self.lex = lex
        seed = int.from_bytes(_digest(secret, "date-shift", note_key)[:8], "big")
        magnitude = 30 + seed % 700  # 30 .. 729 days
        days = magnitude if (seed >> 20) % 2 else -magnitude
        self.dates = DateShifter(days)
        self.memo: dict[tuple[str, str], str] = {}

    def _pick(self, seq: tuple[str, ...], *parts: str) -> str:
        return _pick(seq, self.secret, self.key, *parts)

    def _same_shape(self, value: str, kind: str) -> str:
        """Random characters of the same shape: digit for digit, letter for letter, the rest kept."""
        rnd = random.Random(int.from_bytes(_digest(self.secret, self.key, kind, value.lower())[:8], "big"))
        out = []
        for ch in value:
            if ch.isdigit():
                out.append(str(rnd.randint(0, 9)))
            elif ch.isalpha():
                c = chr(ord("A") + rnd.randint(0, 25))
                out.append(c if ch.isupper() else c.lower())
            else:
                out.append(ch)
        return "".join(out)

    def name(self, value: str) -> str:
        def one(match: re.Match[str]) -> str:
            word = match.group()
            low = word.lower().rstrip(".")
            if len(low) == 1:
                letter = self._pick(tuple("ABCDEFGHJKLMNPRSTW"), "initial", low)
                return _match_case(word, letter) + ("." if word.endswith(".") else "")
            pool = (
                self.lex.first_list
                if low in self.lex.first_names and low not in self.lex.last_names
                else self.lex.last_list
            )
            new = self._pick(pool, "name", low)
            if new == low:
                new = self._pick(pool, "name2", low)
            return _match_case(word, new.capitalize() if not word.isupper() else new)

        return re.sub(r"[A-Za-z]+(?:['-][A-Za-z]+)*\.?", one, value)

    def replace(self, label: str, value: str) -> str:
        key = (label, value.lower())
        if key in self.memo:
            return self.memo[key]
        out = self._replace(label, value)
        self.memo[key] = out
        return out

    def _replace(self, label: str, value: str) -> str:
        if label == "NAME":
            return self.name(value)
        if label == "DATE":
            shifted = self.dates.shift(value)
            return shifted if shifted is not None else "[DATE]"
        if label == "AGE":
            return "90+" if not value.endswith("s") else "90s"
        if label == "EMAIL":
            user = self._pick(self.lex.first_list, "email", value.lower())
            host = self._pick(
                ("example.org", "example.com", "example.net", "mail.example.org"), "host", value.lower()
            )
            return f"{user}.{self._same_shape('00', value)}@{host}"
        if label == "URL":
            return "https://www.example.org/" + self._same_shape("aaaaaa", value).lower()
        if label == "IP":
            if ":" in value:
                return "2001:db8::" + self._same_shape("0a0", value).lower()
            return f"192.0.2.{int.from_bytes(_digest(self.secret, self.key, value)[:2], 'big') % 254 + 1}"
        if label == "ADDRESS":
            if re.match(r"P\.?\s?O", value, _I):
                return "P.O. Box " + self._same_shape("0000", value)
            num = self._same_shape(
                re.match(r"\d+", value).group() if re.match(r"\d+", value) else "100", value
            )
            street = self._pick(self.lex.streets, "street", value.lower())
            suffix = self._pick(
                ("Street", "Avenue", "Road", "Lane", "Drive", "Court"), "suffix", value.lower()
            )
            return f"{num.lstrip('0') or '1'} {street} {suffix}"
        if label == "CITY":
            return self._pick(self.lex.city_list, "city", value.lower())
        if label == "FACILITY":
            street = self._pick(self.lex.streets, "facility", value.lower())
            kind = "Clinic" if "clinic" in value.lower() else "Medical Center"
            return f"{street} {kind}"
        if label == "ZIP":
            return self._same_shape(value, "zip")
        return self._same_shape(value, label)


# ---------------------------------------------------------------------------------------------- component
class SpanModel(Protocol):
    def predict_spans(self, texts: list[str]) -> list[list[dict[str, Any]]]: ...


def _note_key(note: Note) -> str:
    if note.id:
        return f"id:{note.id}"
    return "sha:" + hashlib.sha256(note.text.encode("utf-8", "surrogatepass")).hexdigest()


class Deidentifier:
    """The ``deid`` component: finds PHI, writes ``note.phi`` and ``note.deid_text``."""

    reads: tuple[str, ...] = ("text",)
    writes: tuple[str, ...] = ("phi", "deid_text")

    def __init__(
        self,
        mode: str = "tag",
        secret: str | None = None,
        model: str | SpanModel | None = None,
        model_threshold: float = 0.5,
        types: Iterable[str] | None = None,
        data_dir: str | None = None,
    ) -> None:
        if mode not in MODES:
            raise ConfigError(ErrorCode.E509, mode=mode)
        self.mode = mode
        env_secret = os.environ.get(SECRET_ENV)
        self.secret = secret or env_secret or DEFAULT_SECRET
        self._warned = False
        self.lex = load_lexicons(data_dir)
        self.rules = RuleDetector(self.lex)
        self.model_path = model if isinstance(model, str) else None
        self.model: SpanModel | None = self._load_model(model) if model is not None else None
        self.model_threshold = model_threshold
        unknown = sorted(set(types or ()) - set(PHI_TYPES))
        if unknown:
            raise ConfigError(
                ErrorCode.E203, key="deid.types", detail=f"unknown types {unknown}; known: {list(PHI_TYPES)}"
            )
        self.types = frozenset(types) if types else frozenset(PHI_TYPES)

    @staticmethod
    def _load_model(model: str | SpanModel) -> SpanModel:
        if not isinstance(model, str):
            if not hasattr(model, "predict_spans"):
                raise ConfigError(
                    ErrorCode.E508, path=type(model).__name__, detail="the object has no predict_spans method"
                )
            return model
        try:
            from medassist.models import load_model  # type: ignore[attr-defined]
        except ImportError as exc:
            raise ConfigError(
                ErrorCode.E508,
                path=model,
                detail=f"medassist.models.load_model is not available ({exc.name})",
            ) from None
        return load_model(model)  # type: ignore[no-any-return]

    def _model_hits(self, text: str) -> list[_Hit]:
        assert self.model is not None
        where = self.model_path or type(self.model).__name__
        try:
            result = self.model.predict_spans([text])
        except Exception as exc:  # the model's own failure: say which, never the text
            raise ConfigError(
                ErrorCode.E508, path=where, detail=f"predict_spans raised {type(exc).__name__}"
            ) from None
        if not isinstance(result, list) or len(result) != 1 or not isinstance(result[0], list):
            raise ConfigError(
                ErrorCode.E508, path=where, detail="it did not return one list of spans per text"
            )
        hits: list[_Hit] = []
        for item in result[0]:
            try:
                start, end = int(item["start"]), int(item["end"])
                raw = str(item["label"]).upper()
                score = float(item.get("score", 1.0))
            except (KeyError, TypeError, ValueError):
                raise ConfigError(
                    ErrorCode.E508, path=where, detail="a span lacks start, end or label"
                ) from None
            if not 0 <= start < end <= len(text) or score < self.model_threshold:
                continue
            raw = re.sub(r"^[BIESLU]-", "", raw)
            label = MODEL_LABELS.get(raw, raw if raw in PHI_TYPES else "ID")
            hits.append(_Hit(start, end, label, "model", score))
        return hits

    def find(self, text: str) -> list[Span]:
        hits = self.rules.find(text)
        if self.model is not None:
            hits.extend(self._model_hits(text))
        hits = [h for h in hits if h.label in self.types]
        spans = merge_hits(hits, text)
        # trim white space the patterns may have taken at the edges
        out = []
        for sp in spans:
            s, e = sp.start, sp.end
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                out.append(Span(s, e, sp.label, text[s:e], sp.score, sp.source))
        return out

    def render(self, note: Note, spans: list[Span], mode: str | None = None) -> str:
        mode = mode or self.mode
        text = note.text
        if mode == "mask":
            chars = list(text)
            for sp in spans:
                for i in range(sp.start, sp.end):
                    if not chars[i].isspace():
                        chars[i] = "*"
            return "".join(chars)
        sur = Surrogates(self.secret, _note_key(note), self.lex) if mode == "surrogate" else None
        if sur is not None and self.secret == DEFAULT_SECRET and not self._warned:
            log.warning(ErrorCode.E511.value)
            self._warned = True
        parts: list[str] = []
        pos = 0
        for sp in spans:
            parts.append(text[pos : sp.start])
            if sur is None:
                parts.append(f"[{sp.label}]")
            else:
                if sp.label == "DATE":
                    sur.dates.observe(sp.text)
                parts.append(sur.replace(sp.label, sp.text))
            pos = sp.end
        parts.append(text[pos:])
        return "".join(parts)

    def __call__(self, note: Note) -> Note:
        spans = self.find(note.text)
        note.phi = spans
        note.deid_text = self.render(note, spans)
        if log.isEnabledFor(logging.DEBUG):
            counts: dict[str, int] = {}
            for sp in spans:
                counts[sp.label] = counts.get(sp.label, 0) + 1
            log.debug("deid: %d identifier(s) %s", len(spans), dict(sorted(counts.items())))
        return note


def make_deid(
    mode: str = "tag",
    secret: str | None = None,
    model: str | None = None,
    model_threshold: float = 0.5,
    types: list[str] | None = None,
) -> Deidentifier:
    """Factory for the ``deid`` component (settings documented in configs/pipeline.yaml)."""
    return Deidentifier(mode=mode, secret=secret, model=model, model_threshold=model_threshold, types=types)


def deidentify(text: str, mode: str = "tag", note_id: str | None = None, **settings: Any) -> Note:
    """One-call helper: ``deidentify(text, mode="surrogate").deid_text``."""
    return Deidentifier(mode=mode, **settings)(Note(text=text, id=note_id))
