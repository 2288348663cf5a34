"""Places: street addresses and P.O. boxes, towns and cities, ZIP codes, and hospitals and clinics (a
facility's name gives a place away)."""

from __future__ import annotations

import re

from medassist.nlp.deid.patterns import alt
from medassist.nlp.deid.recognizers.base import MONTHS_FULL, Context, mixed_case
from medassist.nlp.deid.types import Hit

_STATE_NAMES = (
    "Alabama|Alaska|Arizona|Arkansas|California|Colorado|Connecticut|Delaware|Florida|Georgia|Hawaii|"
    "Idaho|Illinois|Indiana|Iowa|Kansas|Kentucky|Louisiana|Maine|Maryland|Massachusetts|Michigan|"
    "Minnesota|Mississippi|Missouri|Montana|Nebraska|Nevada|New Hampshire|New Jersey|New Mexico|"
    "New York|North Carolina|North Dakota|Ohio|Oklahoma|Oregon|Pennsylvania|Rhode Island|"
    "South Carolina|South Dakota|Tennessee|Texas|Utah|Vermont|Virginia|Washington|West Virginia|"
    "Wisconsin|Wyoming"
)
_LEADING_NOT_FACILITY = frozenset({"the", "at", "to", "from", "in", "seen", "and"})


class PlaceRecognizer:
    labels = ("ADDRESS", "CITY", "ZIP", "FACILITY")

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        p, w = ctx.p, ctx.words
        self.street = p.get("street")
        self.po_box = p.get("po_box")
        states = "|".join(w.get("us_states_abbr", []))
        self.city_state = re.compile(
            rf"((?:[A-Z][a-z]+\.?)(?:[ -][A-Z][a-z]+){{0,2}}),\s*(?:{states}|{_STATE_NAMES})\b\.?"
            rf"(?:\s*,?\s+(\d{{5}}(?:-\d{{4}})?))?(?![\w-])"
        )
        self.zip_cue = p.get("zip_cued")
        self.zip_state = re.compile(rf"\b(?:{states})\s+(\d{{5}}(?:-\d{{4}})?)\b")
        self.city_lex = re.compile(rf"(?<![\w-])(?:{alt(ctx.lex.city_list)})(?![\w-])")
        self.place_cue = re.compile(rf"\b(?:{alt(w.get('place_cues', []))})\s+(?=[A-Z])", re.IGNORECASE)
        self.place_name = p.get("place_after_cue")
        self.from_place = p.get("from_place")
        self.care_unit = p.get("care_unit")
        fac = alt([f.title() for f in w.get("facility_words", [])])
        self.facility = re.compile(
            rf"(?:\b(?:St\.?|Saint|Mount|Mt\.?)[ \t]+)?(?:\b[A-Z][A-Za-z'&-]+(?:'s)?[ \t]+){{1,4}}(?:{fac})\b"
        )
        self.town_after = p.get("town_after_address")
        # case-blind rules for nursing notes (lower-case and upper-case text)
        self.generic = frozenset(x.lower() for x in w.get("generic_facility_words", []))
        self.care_places = frozenset(x.lower() for x in w.get("care_places", []))
        self.tail = re.compile(rf"\b(?:{alt(w.get('facility_tail_words', []))})\b", re.IGNORECASE)
        verbs = alt(w.get("transfer_verbs", []))
        self.transfer = re.compile(
            rf"(?<![\w-])(?:{verbs})[ \t]+(?:back[ \t]+|over[ \t]+)?(?:to|from|at)[ \t]+(?:the[ \t]+)?"
            rf"([A-Za-z][A-Za-z'-]*)(?:[ \t]*(\d{{1,2}})(?![\d/:.]))?", re.IGNORECASE)
        self.lives_in = re.compile(
            r"\b(?:lives|living|resides?|residing|home|house|apartment|bakery|business)\b[^.\n;:]{0,30}?\bin[ \t]+"
            r"([A-Za-z][A-Za-z'-]+)", re.IGNORECASE)
        self.travel_from = re.compile(
            r"\b(?:fly|flying|flew|flown|flies|drive|driving|drove|coming|came|visiting|arrive|arriving|arrived|"
            r"travel(?:l)?ing|travel(?:l)?ed|daughter|son|sister|brother|wife|husband|family|niece|nephew)"
            r"(?:[ \t]+[\w']+){0,6}?[ \t]+from[ \t]+(?:the[ \t]+)?([A-Za-z][A-Za-z'-]+)", re.IGNORECASE)
        self.zip_after = p.get("zip_after_town")

    def find(self, text: str, hits: list[Hit]) -> None:
        ctx = self.ctx
        add = hits.append
        for pat in (self.street, self.po_box):
            for m in pat.finditer(text):
                add(Hit(m.start(), m.end(), "ADDRESS"))
        for m in self.city_state.finditer(text):
            city = m.group(1)
            if city.lower() not in ctx.not_names and city.lower() not in ctx.not_places:
                add(Hit(m.start(1), m.end(1), "CITY"))
            if m.group(2):
                add(Hit(m.start(2), m.end(2), "ZIP"))
        for pat in (self.zip_cue, self.zip_state):
            for m in pat.finditer(text):
                add(Hit(m.start(1), m.end(1), "ZIP"))
        for m in self.city_lex.finditer(text):
            if not ctx.eponym_follows(text, m.end()):
                add(Hit(m.start(), m.end(), "CITY", score=0.8))
        for m in self.place_cue.finditer(text):
            pm = self.place_name.match(text[m.end() :])
            if not pm:
                continue
            place = pm.group()
            if place.lower() in ctx.not_places or place.split()[0].lower() in ctx.not_names:
                continue
            if place.lower() in ctx.lex.first_names and place.lower() not in ctx.lex.cities:
                continue
            if place.lower() not in ctx.lex.cities and not ctx.unknown_word(re.split(r"[ -]", place)[0]):
                continue
            if self.care_unit.search(place) or self.care_unit.match(text, m.end() + pm.end()):
                continue
            add(Hit(m.end(), m.end() + pm.end(), "CITY", score=0.7))
        for m in self.from_place.finditer(text):
            g = 1 if m.group(1) else 2
            place = m.group(g)
            if place.lower() in ctx.not_places or self.care_unit.search(place):
                continue
            if place.lower() in ctx.lex.cities or ctx.unknown_word(place.split()[0]):
                add(Hit(m.start(g), m.end(g), "CITY", score=0.7))
        for m in self.facility.finditer(text):
            words = list(re.finditer(r"\S+", m.group()))
            k = 0
            while k < len(words) - 1:
                w = words[k].group()
                if w[0].islower() or w.lower() in _LEADING_NOT_FACILITY or (w.isupper() and len(w) <= 4):
                    k += 1
                else:
                    break
            if k >= len(words) - 1:
                continue
            add(Hit(m.start() + words[k].start(), m.end(), "FACILITY", score=0.8))
        self.case_blind(text, hits)

    # ------------------------------------------------------------------ case-blind (nursing notes)
    _BEFORE = re.compile(r"((?:[A-Za-z][A-Za-z'.&-]*[ \t]+){1,3})$")
    _unit_after = re.compile(r"[ \t]*(?:care|unit|units|room|floor|ward|suite|bay|lab|nursery|service|"
                             r"department|center|centre|clinic|laboratory|suite|theater|theatre)\b", re.IGNORECASE)
    _AFTER_NOT_NAME = frozenset({"course", "day", "days", "stay", "admission", "admissions", "discharge", "bed",
                                 "beds", "acquired", "records", "record", "staff", "based", "policy", "protocol",
                                 "anesthesia", "anaesthesia", "wall", "lymph", "block", "nodes", "visit", "visits"})

    def _plain_word(self, word: str) -> bool:
        low = word.lower().rstrip(".")
        return (low in self.generic or low in self.care_places or low in self.ctx.vocab or low in MONTHS_FULL
                or (low.endswith("ing") and low not in self.ctx.lex.cities)
                or not low.replace("'", "").replace("-", "").isalpha())

    def case_blind(self, text: str, hits: list[Hit]) -> None:
        """Place names in nursing shorthand, whatever their case: the words before a facility word ("TURP at
        reisterstown hospital", "HARFORD MEMORIAL"), a place after a transfer verb ("TRANSFER TO QUARTERMAIN 2",
        "transferred to GH"), and a town after "lives in" or "flying in from"."""
        ctx = self.ctx
        mixed = mixed_case(text)
        for m in self.tail.finditer(text):
            after = re.match(r"[ \t]*([A-Za-z]+)", text[m.end() : m.end() + 20])
            if after and after.group(1).lower() in self._AFTER_NOT_NAME:
                continue
            bm = self._BEFORE.search(text, max(0, m.start() - 60), m.start())
            if not bm:
                continue
            words = list(re.finditer(r"\S+", bm.group(1)))
            first = None
            k = len(words) - 1
            while k >= 0:
                w = words[k].group()
                low = w.lower().rstrip(".")
                if low == "of" and k > 0 and words[k - 1].group().lower().rstrip(".") in ("university", "univ", "u"):
                    first = k - 1
                    k -= 2
                    continue
                if low not in ("university", "univ", "u", "st", "saint", "mt", "mount") and self._plain_word(w):
                    break
                if mixed and not w[0].isupper():
                    break
                first = k
                k -= 1
            if first is None:
                continue
            s = bm.start(1) + words[first].start()
            add_end = m.end()
            hits.append(Hit(s, add_end, "FACILITY", score=0.9))
        for m in self.transfer.finditer(text):
            place, ward = m.group(1), m.group(2)
            low = place.lower()
            if (self._plain_word(place) or low in ctx.not_places or low in ctx.not_names or len(low) < 2
                    or (mixed and not place[0].isupper())
                    or self._unit_after.match(text, m.end(2) if ward else m.end(1))):
                continue
            short = len(low) <= 4 and (place.isupper() or place.islower())
            if ward or short or low in ctx.lex.cities or ctx.unknown_word(place):
                hits.append(Hit(m.start(1), m.end(2) if ward else m.end(1), "FACILITY", score=0.9))
        for pat in (self.lives_in, self.travel_from):
            for m in pat.finditer(text):
                place = m.group(1)
                low = place.lower()
                if (self._plain_word(place) or low in ctx.not_places or low in ctx.not_names
                        or (mixed and not place[0].isupper())):
                    continue
                if low in ctx.lex.cities or ctx.unknown_word(place):
                    hits.append(Hit(m.start(1), m.end(1), "CITY", score=0.9))

    def address_tail(self, text: str, hits: list[Hit]) -> None:
        """After a street address comes the town, after a town the ZIP code: "12 Oak St, Oxbow 02155"."""
        ctx = self.ctx
        extra: list[Hit] = []
        for h in hits:
            if h.label == "ADDRESS":
                m = self.town_after.match(text, h.end)
                if m and m.group(1).lower() not in ctx.not_places and m.group(1).split()[0].lower() not in ctx.not_names:
                    extra.append(Hit(m.start(1), m.end(1), "CITY", score=0.8))
                    h = extra[-1]
            if h.label == "CITY":
                m = self.zip_after.match(text, h.end)
                if m:
                    extra.append(Hit(m.start(1), m.end(1), "ZIP", score=0.8))
        hits.extend(extra)
