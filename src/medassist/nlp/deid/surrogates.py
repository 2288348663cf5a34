"""Surrogates: realistic stand-ins, consistent within a note, and one date shift per note.

The same name gets the same surrogate everywhere in a note, token by token ("John Smith" and later
"Mr. Smith" stay the same person); every date moves by the same number of days, so intervals are kept;
years shift with their dates (a year alone is kept: Safe Harbor lets it stand); ages over 89 become
"90+".  Choices are drawn from HMAC(secret, note key): reruns give the same output, and nobody without
the secret can reverse them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import random
import re

from medassist.nlp.deid.patterns import Lexicons, load_patterns

_I = re.IGNORECASE
_P = load_patterns()
_MON = _P.fragment("MON")
_YEAR = _P.fragment("YEAR")
_WEEKDAY = _P.fragment("WEEKDAY")
_MONTHS_FULL = ["january", "february", "march", "april", "may", "june", "july", "august", "september",
                "october", "november", "december"]  # fmt: skip
_MONTH_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
               "sept": 9, "oct": 10, "nov": 11, "dec": 12}  # fmt: skip
MONTH_NUM = {**{m: i + 1 for i, m in enumerate(_MONTHS_FULL)}, **_MONTH_ABBR}


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

