"""People's names: after titles ("Dr. Jane Smith") and cues ("seen by", "wife"), before credentials
("J. Doe, RN"), from the name lexicons, as the subject of a verb, in possessives before a relation, as
initials, in signature blocks; then widened over adjacent name words and propagated to every other
mention of the same name in the note."""

from __future__ import annotations

import re

from medassist.nlp.deid.patterns import alt
from medassist.nlp.deid.recognizers.base import MONTHS_FULL, Context, mixed_case
from medassist.nlp.deid.types import Hit

_I = re.IGNORECASE


class NameRecognizer:
    labels = ("NAME",)

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        p, w = ctx.p, ctx.words
        self.title = re.compile(rf"\b(?:{alt(w.get('titles', []))})\b(?:\.\s*|\s+)", _I)
        self.role_title = re.compile(rf"(?<![\w/-])(?:{alt(w.get('role_titles', []))})[ \t]+", _I)
        creds = alt(w.get("credentials", []))
        self.care_places = frozenset(x.lower() for x in w.get("care_places", []))
        self.credential_words = frozenset(x.lower() for x in w.get("credentials", []))
        # a credential that ends a line (a signature), then the two or three words before it on that line; the
        # credential is found first so the word pattern only runs where a signature can be
        self.line_end_credential = re.compile(rf",?[ \t]+(?:{creds})(?![\w])(?=[ \t]*(?:$|\n|[);]))", _I | re.MULTILINE)
        self.words_before_credential = re.compile(
            r"(?<![A-Za-z'-])((?:[A-Za-z][A-Za-z'-]+|[A-Za-z]\.)(?:[ \t]+(?:[A-Za-z][A-Za-z'-]+|[A-Za-z]\.)){1,2})\Z")
        self.initial_surname = re.compile(
            r"(?:(?<=[\s(/-])|^)([A-Za-z])\.[ \t]?([A-Za-z][A-Za-z'-]{2,})(?=[ \t.,;)-]|$)", re.MULTILINE)
        self.initial_before = re.compile(rf"[ \t.,-]*\(?(?:{alt(w.get('initial_name_before', []))})\b", _I)
        self.initial_after = re.compile(rf"(?:{alt(w.get('initial_name_after', []))})[ \t]*$", _I)
        self.not_after_title = frozenset(x.lower() for x in w.get("not_names_after_title", []))
        self.lower_word = re.compile(r"[a-z][a-z'-]*[a-z]")
        self.caps_word = re.compile(r"[A-Z][A-Z'-]*[A-Z]")
        self.credential = re.compile(rf"^,?[ \t]+(?:{alt(w.get('credentials', []))})(?![\w])", _I)
        cues = w.get("name_cues", [])
        colon_cues = [c["cue"] for c in cues if c.get("colon")]
        plain_cues = [c["cue"] for c in cues if not c.get("colon")]
        self.cue_colon = re.compile(rf"\b(?:{alt(colon_cues)})\s*[:#-]\s*", _I) if colon_cues else None
        self.cue_plain = re.compile(rf"\b(?:{alt(plain_cues + colon_cues)})\b,?\s+\(?", _I)
        self.cue_lower = re.compile(rf"\b(?:{alt(w.get('lower_case_name_cues', []))})\b(?:[,:]?\s+|\s*[:-]+\s*)\(?", _I)
        self.token = p.get("name_token")
        self.caps_token = p.get("caps_name_token")
        self.subject = p.get("name_subject")
        self.caps_subject = p.get("caps_name_subject")
        self.possessive = p.get("possessive_relation")
        self.before_credential = p.get("name_before_credential")
        self.caps_before_credential = p.get("caps_name_before_credential")
        self.capword = p.get("capword")
        self.capword_or_initial = p.get("capword_or_initial")
        self.surname_given_age = p.get("surname_comma_given_before_age")
        self.initial_word = p.get("initial_and_word")
        self.caps_first_last = p.get("caps_first_last")
        self.signature_initials = p.get("signature_initials")
        self.initials_cue = p.get("initials_cue")
        self.signature_block = p.get("signature_block")
        self.widen_left = re.compile(p.source("widen_left"))
        capword = p.fragment("CAPWORD")
        self.next_name = re.compile(rf"[ \t](?:[A-Z]\.?[ \t])?({capword})(?![\w'-])")
        self.comma_given = re.compile(rf",\s*({capword})(?![\w'-])")

    # ---------------------------------------------------------------- helpers
    def take_name(self, text: str, pos: int, caps: bool, max_tokens: int = 4, cue: bool = False,
                  title: bool = False) -> tuple[int, int] | None:
        """The name that starts at ``pos``: 1-4 capitalised tokens or initials ("John Q. Public", "SMITH, JOHN").

        After a cue (``cue=True``) "Last, First" continues over the comma for any name-like word; otherwise
        only when the word after the comma is a known given name.
        """
        ctx = self.ctx
        ok = ctx.is_titled_name_word if title else ctx.is_cued_name_word if cue else ctx.is_name_word
        pat = self.caps_token if caps else self.token
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
            if count and title and word.rstrip(".:").lower() in self.not_after_title:
                break  # "DR RONAYNE RE: PLAN", "Dr. Smith aware": the name ends before the word that follows it
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
                if m2 and ok(m2.group()) and (cue or caps or m2.group().lower() in ctx.lex.first_names):
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

    def take_lower_name(self, text: str, pos: int, max_tokens: int = 3, caps: bool = False) -> tuple[int, int] | None:
        """After a title or a relation, a name in lower case ("dr. john bowman", "husband jim") or, with
        ``caps``, in an all-capitals note ("DAUGHTER JANE"): words that are not function words, clinical
        terms or what notes write after a title ("dr aware", "SON CALLED")."""
        ctx = self.ctx
        start = end = -1
        i, n, count = pos, len(text), 0
        word = self.caps_word if caps else self.lower_word
        while count < max_tokens and i < n:
            m = word.match(text, i)
            if m is None:
                break
            low = m.group().lower()
            if (low in self.not_after_title or low in ctx.not_names or low in ctx.vocab or low.rstrip("s") in ctx.vocab
                    or (count and low not in ctx.lex.first_names and low not in ctx.lex.last_names and len(low) < 3)):
                break
            if count == 0:
                start = m.start()
            end, count, i = m.end(), count + 1, m.end()
            if i < n and text[i] == " " and i + 1 < n and text[i + 1].isalpha():
                i += 1
            else:
                break
        return (start, end) if start >= 0 else None

    def widen(self, text: str, hits: list[Hit]) -> list[Hit]:
        ctx = self.ctx
        out = []
        for h in hits:
            s, e = h.start, h.end
            for _ in range(2):
                m = self.widen_left.search(text, max(0, s - 40), s)
                if not m:
                    break
                word = m.group(1) or m.group(2)
                low = word.lower().rstrip(".")
                if (m.group(1) and not (low in ctx.lex.first_names or ctx.unknown_word(word))) or low in ctx.not_names:
                    break
                s = m.start()
            if s != h.start:
                out.append(Hit(s, e, "NAME", score=h.score))
        return out

    # ---------------------------------------------------------------- detection
    def find(self, text: str, hits: list[Hit]) -> None:
        ctx = self.ctx
        found: list[Hit] = []
        add = found.append
        # 1. titles: "Dr. Jane Smith", "Mr. O'Brien"
        for m in self.title.finditer(text):
            caps = text[m.end() : m.end() + 2].isupper() and text[m.end() + 1 : m.end() + 2].isalpha()
            span = self.take_name(text, m.end(), caps=caps, max_tokens=3, cue=True, title=True)
            if span is None and text[m.end() : m.end() + 1].islower():
                span = self.take_lower_name(text, m.end())
            if span and re.match(r"[A-Za-z'-]+", text[span[0] : span[1]]).group().lower() in self.not_after_title:  # type: ignore[union-attr]
                span = None  # "DR AWARE", "Dr. Called"
            if span:  # after a title, a name is a person even before "sign" or "test"
                add(Hit(span[0], span[1], "NAME"))
        # 1b. roles used as titles in nursing notes: "HO SCHWARZ", "np grace made aware" (any case)
        mixed = mixed_case(text)
        for m in self.role_title.finditer(text):
            if mixed and not text[m.end() : m.end() + 1].isupper():
                continue
            if text[m.start() : m.end()].strip().isupper() and text[m.end() : m.end() + 1].isupper():
                span = self.take_lower_name(text, m.end(), max_tokens=2, caps=True)
            elif text[m.end() : m.end() + 1].islower():
                span = self.take_lower_name(text, m.end(), max_tokens=2)
            else:
                span = self.take_name(text, m.end(), caps=False, max_tokens=2, cue=True, title=True)
            if span and re.match(r"[A-Za-z'-]+", text[span[0] : span[1]]).group().lower() not in self.not_after_title:  # type: ignore[union-attr]
                add(Hit(span[0], span[1], "NAME", score=0.9))
        # 1c. a name before a credential, in any case: "anita morris rn", "FRANCIS G. LEVINE, RRT"
        for cred in self.line_end_credential.finditer(text):
            m = self.words_before_credential.search(text, max(0, cred.start() - 80), cred.start())
            if m is None:
                continue
            toks = list(re.finditer(r"[A-Za-z][A-Za-z'-]*\.?", m.group(1)))
            keep = []
            for t in reversed(toks):
                low = t.group().lower().rstrip(".")
                if (low in ctx.not_names or low in self.not_after_title or low in ctx.vocab
                        or (len(low) > 1 and low.rstrip("s") in ctx.vocab) or low in self.credential_words):
                    break
                keep.append(t)
            lexicon = ctx.lex.first_names | ctx.lex.last_names
            if len(keep) >= 2 and any(t.group().lower().rstrip(".") in lexicon for t in keep if len(t.group()) > 2):
                add(Hit(m.start(1) + keep[-1].start(), m.start(1) + keep[0].end(), "NAME", score=0.9))
        # 1d. an initial and a surname after "per" or before "aware": "AS PER B. KARGAS", "W. MAROTTA AWARE"
        for m in self.initial_surname.finditer(text):
            surname = m.group(2)
            low = surname.lower()
            if (low in ctx.not_names or low in ctx.vocab or low in self.not_after_title or low in MONTHS_FULL
                    or low in ctx.not_places or low in self.care_places
                    or not (low in ctx.lex.last_names or (ctx.unknown_word(surname) and not surname.islower()))):
                continue
            before = text[max(0, m.start() - 12) : m.start()]
            if self.initial_before.match(text, m.end()) or self.initial_after.search(before):
                add(Hit(m.start(1), m.end(2), "NAME", score=0.9))
        # 2. cues: "Patient: John Smith", "seen by Jane Doe", "wife Mary"
        if self.cue_colon is not None:
            for m in self.cue_colon.finditer(text):
                caps = bool(re.match(r"[A-Z]{2,}", text[m.end() : m.end() + 3]))
                span = self.take_name(text, m.end(), caps=caps, max_tokens=4, cue=True)
                if span:
                    add(Hit(span[0], span[1], "NAME"))
        for m in self.cue_plain.finditer(text):
            span = self.take_name(text, m.end(), caps=False, max_tokens=3, cue=True)
            if span and not ctx.eponym_follows(text, span[1]):
                add(Hit(span[0], span[1], "NAME"))
        for m in self.cue_lower.finditer(text):  # "husband jim", "DAUGHTER JANE": for the model to confirm
            after = text[m.end() : m.end() + 2]
            span = None
            if after[:1].islower():
                span = self.take_lower_name(text, m.end(), max_tokens=2)
            elif after.isupper() and after.isalpha() and text[m.start() : m.end()].isupper():
                span = self.take_lower_name(text, m.end(), max_tokens=2, caps=True)
            if span and not ctx.eponym_follows(text, span[1]):
                add(Hit(span[0], span[1], "NAME", score=0.7, propagate=False))
        # 3. credentials after a name: "Jane Smith, MD", "J. Doe RN"
        for m in self.before_credential.finditer(text):
            if self.credential.match(text[m.end() : m.end() + 16]):
                toks = list(self.capword_or_initial.finditer(m.group()))
                keep = []  # the last tokens that look like a name (stop at a non-name word)
                for t in reversed(toks):
                    if not ctx.is_name_word(t.group()):
                        break
                    keep.append(t)
                if keep:
                    add(Hit(m.start() + keep[-1].start(), m.start() + keep[0].end(), "NAME"))
        for m in self.caps_before_credential.finditer(text):
            if all(w.lower() not in ctx.not_names for w in re.findall(r"[A-Za-z'-]{2,}", m.group(1))):
                add(Hit(m.start(1), m.end(1), "NAME", score=0.8))
        # 4. lexicon: first name (+ initial) + capitalised word; "Last, First"; known first names alone
        self._lexicon_names(text, add)
        # an unknown capitalised word used as a subject: "Bjorn reports", "Okafor was seen"
        for m in self.subject.finditer(text):
            word = m.group(1)
            low = word.lower()
            if (ctx.unknown_word(word) or low in ctx.lex.first_names and low not in ctx.not_names) and not ctx.eponym_follows(
                text, m.end(1)
            ):
                add(Hit(m.start(1), m.end(1), "NAME", score=0.6))
        for m in self.caps_subject.finditer(text):
            words = [w for w in re.split(r"[\s,-]+", m.group(1)) if w]
            if all(ctx.unknown_word(w) or ctx.maybe_person(w) for w in words):
                add(Hit(m.start(1), m.end(1), "NAME", score=0.6))
        # possessive before a relation: "Emeka's daughter", "Mr. Lee's wife"
        for m in self.possessive.finditer(text):
            word = m.group(1)
            if word.lower() not in ctx.not_names and word.lower() not in ctx.vocab and not ctx.eponym_follows(text, m.end(1)):
                add(Hit(m.start(1), m.end(1), "NAME", score=0.7))
        # "Okafor, Chidi is a 97-year-old": surname, given name before an age statement
        for m in self.surname_given_age.finditer(text):
            if all(ctx.is_cued_name_word(w) for w in (m.group(1), m.group(2))):
                add(Hit(m.start(), m.end(), "NAME", score=0.7))
        # initial + unknown capitalised word: "J. Zielinski"
        for m in self.initial_word.finditer(text):
            w2 = m.group(2).lower()
            if (ctx.unknown_word(m.group(2)) or w2 in ctx.lex.last_names or w2 in ctx.lex.first_names) and not ctx.eponym_follows(
                text, m.end()
            ):
                add(Hit(m.start(), m.end(), "NAME", score=0.7))
        # ALL-CAPS "JOHN SMITH" when both words are in the lexicons
        firsts, lasts = ctx.lex.first_names, ctx.lex.last_names
        for m in self.caps_first_last.finditer(text):
            a, b = m.group(1).lower(), m.group(2).lower()
            if (a in firsts and b in lasts and a not in ctx.not_names and b not in ctx.not_names) or (
                a in lasts and b in firsts and "," in m.group()
            ):
                add(Hit(m.start(), m.end(), "NAME", score=0.8))
        # 5. initials: "JS/mk" dictation lines, "Initials: AB"
        for m in self.signature_initials.finditer(text):
            add(Hit(m.start(1), m.end(1), "NAME", score=0.8))
            add(Hit(m.start(2), m.end(2), "NAME", score=0.8))
        for m in self.initials_cue.finditer(text):
            add(Hit(m.start(1), m.end(1), "NAME", score=0.8))
        # 6. signature blocks: the line after "Sincerely," or a line of underscores
        for m in self.signature_block.finditer(text):
            line = m.group(1)
            span = self.take_name(line, 0, caps=line[:2].isupper(), max_tokens=4)
            if span:
                add(Hit(m.start(1) + span[0], m.start(1) + span[1], "NAME"))
        # 7. widen each name over adjacent name-like words on the same line ("Philippa T. [Tyler]")
        found.extend(self.widen(text, found))
        # 8. propagation: every other mention of a name token found above
        self._propagate(text, found, add)
        hits.extend(found)

    def _lexicon_names(self, text: str, add) -> None:  # noqa: ANN001
        ctx = self.ctx
        firsts, lasts = ctx.lex.first_names, ctx.lex.last_names
        for m in self.capword.finditer(text):
            word = m.group()
            low = word.lower()
            if low in firsts and low not in ctx.not_names:
                nxt = self.next_name.match(text[m.end() : m.end() + 40])
                if (
                    nxt
                    and (nxt.group(1).lower() in lasts or ctx.is_name_word(nxt.group(1)))
                    and not ctx.eponym_follows(text, m.end() + nxt.end())
                ):
                    if low in ctx.ambiguous and nxt.group(1).lower() not in lasts:
                        continue
                    add(Hit(m.start(), m.end() + nxt.end(), "NAME", score=0.9))
                elif low not in ctx.ambiguous and low not in ctx.eponyms and not ctx.eponym_follows(text, m.end()):
                    add(Hit(m.start(), m.end(), "NAME", score=0.7))
            elif low in lasts and low not in ctx.not_names and low not in ctx.eponyms:
                # "Smith, John" or "J. Smith"
                back = text[max(0, m.start() - 4) : m.start()]
                fwd = self.comma_given.match(text[m.end() : m.end() + 30])
                if fwd and fwd.group(1).lower() in firsts:
                    add(Hit(m.start(), m.end() + fwd.end(), "NAME", score=0.9))
                elif re.search(r"(?:^|[^\w.])[A-Z]\.\s*$", back) and not ctx.eponym_follows(text, m.end()):
                    initial = re.search(r"[A-Z]\.\s*$", back)
                    assert initial is not None
                    add(Hit(m.start() - len(back) + initial.start(), m.end(), "NAME", score=0.8))

    def _propagate(self, text: str, found: list[Hit], add) -> None:  # noqa: ANN001
        ctx = self.ctx
        tokens: set[str] = set()
        for h in found:
            if not h.propagate:
                continue
            for t in re.finditer(r"[A-Za-z][A-Za-z'-]+", text[h.start : h.end]):
                w = t.group().strip("'-")
                if len(w) >= 2 and w.lower() not in ctx.not_names and w.lower() not in ctx.eponyms:
                    if w.lower() in ctx.ambiguous and h.score < 1.0:
                        continue
                    tokens.add(w)
        if not tokens:
            return
        variants = set()
        for w in tokens:
            variants.update({w, w.upper(), w[:1].upper() + w[1:].lower()})
        pat = re.compile(
            rf"(?<![\w'-])(?:{'|'.join(re.escape(v) for v in sorted(variants, key=len, reverse=True))})(?![\w-])"
        )
        for m in pat.finditer(text):
            if not ctx.eponym_follows(text, m.end()):
                add(Hit(m.start(), m.end(), "NAME", score=0.8))
