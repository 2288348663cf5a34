"""Free-text intake: findings, age, sex, duration and onset from a patient's own words.

Three ways to recognise a finding, from most to least precise:

1. the knowledge-base lexicon (every finding's name, lay phrasings and clinical synonyms), matched on
   normalised tokens: lower case, apostrophes dropped, light stemming ("coughing" = "cough"), filler
   words ignored ("pain in my chest" = "pain in chest");
2. the same lexicon after spelling correction of unknown words (rapidfuzz, "diarhea" -> "diarrhoea");
3. embedding similarity (bundled MiniLM) between each clause that the lexicon did not explain and
   every lexicon phrase, for phrasings the lexicon misses ("I threw up twice").

Negation, uncertainty, history, hypotheticals and other people are read by the same ConText rules
as clinical notes (``medassist.nlp.assertion``): "no fever", "I don't have chest pain" become absent
findings; "my dad had a heart attack" is about someone else (unless the finding is itself a family
history); "if the pain comes back" is ignored.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from medassist.diagnosis.demographics import Value, extract_age, extract_duration, extract_onset, extract_sex
from medassist.diagnosis.reasoner import Observation
from medassist.doc import Entity, Note
from medassist.errors import ConfigError, ErrorCode, InputError
from medassist.knowledge.kb import KnowledgeBase
from medassist.knowledge.measurements import MeasurementReader, load_table
from medassist.knowledge.terms import terms
from medassist.matcher import WORD_TOKEN as _TOKEN
from medassist.matcher import Case, Fuzzy, PhraseMatcher, Token, Tokenizer, raw_word, stem_tokenizer

if TYPE_CHECKING:
    from medassist.pipeline import Pipeline

ARTIFACT = Path(__file__).resolve().parents[1] / "artifacts" / "finding_phrases.npz"

@functools.lru_cache(maxsize=1)
def _tokenizer() -> Tokenizer:
    # filler words carry no meaning for matching (negations are NOT among them: ConText reads them separately)
    return stem_tokenizer(terms("intake_filler").words())


def _tokenize(text: str) -> list[Token]:
    """Stemmed tokens of patients' words, filler words (vocabulary ``intake_filler``) dropped."""
    return _tokenizer()(text)


def norm_tokens(text: str) -> list[tuple[int, int, str]]:
    """(start, end, stem) for every meaningful token; filler words are dropped."""
    return [(t.start, t.end, t.key) for t in _tokenize(text)]


@dataclass
class Phrase:
    finding: str
    text: str
    kind: str  # name | lay | clinical


@dataclass
class IntakeResult:
    observations: list[Observation]
    age: Value | None = None
    sex: Value | None = None
    duration: Value | None = None
    onset: Value | None = None
    warnings: list[str] = field(default_factory=list)
    ignored: list[dict[str, Any]] = field(default_factory=list)  # findings about others / hypothetical


@dataclass
class IntakeSettings:
    use_embeddings: bool = True
    # sentence encoder: None = the bundled MiniLM; "intake-encoder" = the shipped contrastively fine-tuned one
    # (artifacts/intake-encoder, off by default: it misses a red-flag infant case MiniLM reads), or a directory.
    # The thresholds belong to the encoder: the fine-tuned one's are in its intake.json (0.82 / 0.72).
    encoder: str | None = None
    similarity: float = 0.74  # cosine at which an embedding match is accepted on its own
    similarity_overlap: float = 0.64  # ... and the lower cosine accepted when clause and phrase share a word
    # with a fine-tuned encoder: also read each clause with the bundled MiniLM at its own thresholds and keep,
    # per clause, the match further above its encoder's threshold (recall of both, at twice the encoding cost)
    union_minilm: bool = False
    minilm_similarity: float = 0.74
    minilm_similarity_overlap: float = 0.64
    parent_margin: float = 0.04  # prefer the generic parent when the specific finding wins by less than this
    fuzzy_score: float = 88.0  # rapidfuzz ratio to correct an unknown word to a lexicon word
    max_chars: int = 20_000


class Intake:
    def __init__(self, kb: KnowledgeBase, settings: IntakeSettings | None = None) -> None:
        from medassist.nlp.assertion import make_assertion

        self.kb = kb
        self.settings = settings or IntakeSettings()
        self.matcher: PhraseMatcher[str] = PhraseMatcher(_tokenize)  # the first finding to claim a phrase keeps it
        self.phrases: list[Phrase] = []
        # specific findings first, so a phrase shared with a generic parent goes to the specific one
        # shorthand of clinical registers; the knowledge base adds its own capitalised abbreviations (CP, SOB ...)
        self.abbreviations: dict[str, str] = kb.terms("clinical_abbreviations").mapping()
        self.english = kb.terms("english_common").words()  # a text with almost none of these is not English
        for fid in sorted(kb.findings, key=lambda f: (-f.count("_"), f)):
            f = kb.findings[fid]
            for kind, items in (("name", [f.name]), ("lay", f.lay), ("clinical", f.clinical)):
                for text in items:
                    content = norm_tokens(text)
                    stems = tuple(s for _, _, s in content)
                    # short abbreviations ("CP", "BED") match only in capitals; a one-word phrase only that word
                    # (or its plural), never another word with the same stem ("boil" is not "boiling")
                    short_caps = kind == "clinical" and text.isupper() and len(re.sub(r"\W", "", text)) <= 4
                    if len(content) == 1 and not short_caps:
                        word = raw_word(text[content[0][0]:content[0][1]])
                        exact = word[:-1] if word.endswith("s") and not word.endswith("ss") and len(word) > 4 else word
                        self.matcher.add(stems, fid, Case.EXACT, exact=exact)
                    else:
                        self.matcher.add(stems, fid, Case.UPPER if short_caps else Case.ANY)
                    self.phrases.append(Phrase(fid, text, kind))
                    if short_caps:
                        self.abbreviations.setdefault(text, f.name.lower())
        self.fuzzy = Fuzzy(self.matcher.vocab, self.settings.fuzzy_score)
        self.assertion = make_assertion(extra_rules=["patient"])  # ConText with the patient-language rules
        # a custom (smaller) knowledge base reads only the measurements of its findings; the shipped table is
        # checked against the shipped knowledge base by `medassist kb check`
        self.measurements = MeasurementReader(load_table(), set(kb.findings), strict=False)  # "fever of 38.5", "BP 165/95"
        # the defining sign or symptom of a warning sign ("a rash that does not fade when pressed") is read by the
        # embedding from a close match, or from two shared words, never one ("a pinkish blotchy rash on her chest")
        defining = {f for r in kb.red_flags for f in r.all}
        self._warning_findings = frozenset(f for f in kb.findings if kb.findings[f].kind in ("sign", "symptom")
                                           and (f in defining or defining & set(_ancestors(f, kb))))
        idioms = sorted(kb.terms("intake_idioms").words(), key=len, reverse=True)
        self._idioms = re.compile(r"(?<!\w)(?:" + "|".join(
            r"\s+".join(re.escape(w).replace("'", "['’]?") for w in i.split()) for i in idioms) + r")(?!\w)", re.I)
        self._phrase_emb: np.ndarray | None = None
        self._pipeline: Pipeline | None = None
        self._minilm_emb: np.ndarray | None = None

    # ------------------------------------------------------------------ helpers
    def phrase_embeddings(self) -> np.ndarray:
        if self._phrase_emb is None:
            from medassist.models.embed import embed_phrases, encoder_key, intake_encoder_dir, shared_embedder

            texts = [p.text for p in self.phrases]
            tuned = intake_encoder_dir(self.settings.encoder) if self.settings.encoder else None
            if tuned is None:
                self._phrase_emb = self.minilm_phrase_embeddings()
            else:  # the fine-tuned encoder ships its own phrase vectors
                self._phrase_emb = embed_phrases(texts, shipped=tuned / "finding_phrases.npz", model=encoder_key(str(tuned)),
                                                 encode=shared_embedder(self._encoder).encode)
        return self._phrase_emb

    def minilm_phrase_embeddings(self) -> np.ndarray:
        """The bundled MiniLM's phrase vectors (the default encoder, and the union with a fine-tuned one)."""
        if self._minilm_emb is None:
            from medassist.models.embed import embed_phrases

            self._minilm_emb = embed_phrases([p.text for p in self.phrases], shipped=ARTIFACT)
        return self._minilm_emb

    @property
    def _encoder(self) -> str:
        return self.settings.encoder or "minilm"

    def _passes(self) -> list[tuple[str, np.ndarray, float, float]]:
        """(encoder, phrase vectors, threshold, overlap threshold) of each embedding reading of a clause."""
        s = self.settings
        out = [(self._encoder, self.phrase_embeddings(), s.similarity, s.similarity_overlap)]
        if s.union_minilm and s.encoder:
            out.append(("minilm", self.minilm_phrase_embeddings(), s.minilm_similarity, s.minilm_similarity_overlap))
        return out

    def _expand(self, s: str) -> str:
        """Spell out clinical abbreviations so the embedding model sees words ("L arm" -> "left arm")."""
        return re.sub(r"(?<![\w/])[A-Za-z][A-Za-z/]{0,4}(?![\w/])",
                      lambda m: self.abbreviations.get(m.group(), self.abbreviations.get(m.group().lower(), m.group())), s)

    @staticmethod
    def _clauses(text: str, start: int, end: int) -> list[tuple[int, int]]:
        """Clauses of a sentence, split at punctuation and conjunctions; a fragment with fewer than two
        content words ("red", "any gunk") stays joined to the clause before it."""
        pieces = []
        pos = start
        for m in re.finditer(r"[,;:.!?()]|\b(?:and|but|also|plus|then|with|while|although)\b", text[start:end], re.I):
            a, b = start + m.start(), start + m.end()
            if a > pos:
                pieces.append((pos, a))
            pos = b if text[a] in ",;:.!?()" else a
        if pos < end:
            pieces.append((pos, end))
        out: list[tuple[int, int]] = []
        for a, b in pieces:
            if not text[a:b].strip():
                continue
            if out and len(norm_tokens(text[a:b])) < 2 and text[out[-1][1]:a].strip() not in ".!?":
                out[-1] = (out[-1][0], b)
            else:
                out.append((a, b))
        return out

    # ------------------------------------------------------------------ main entry
    @property
    def pipeline(self) -> Pipeline:
        """The intake pipeline (configs/pipeline-intake.yaml) on this intake: text -> Note with the findings."""
        if self._pipeline is None:
            self._pipeline = intake_pipeline(self)
        return self._pipeline

    def extract(self, text: str, age: float | None = None) -> IntakeResult:
        """The findings, age, sex, duration and onset of the first ``max_chars`` characters of ``text``.
        ``age``: the age the caller knows (else the one the text states), for age-specific cut-offs."""
        return intake_result(self.pipeline(intake_note(text[: self.settings.max_chars], age)))

    def find(self, text: str, sentences: list[tuple[int, int]], age: float | None = None) -> list[Entity]:
        """The findings named in the text, as ``finding`` entities (``attributes["finding"]``: the id), before
        assertion: lexicon matches (after spelling correction), measured values (``age`` or the age the text
        states selects age-specific cut-offs), then embedding matches."""
        toks, corrected = self.fuzzy.correct_tokens(_tokenize(text))
        ents: list[Entity] = []
        # everyday idioms ("fit and well", "sneeze in fits") name no finding: nothing inside one is matched
        covered: list[tuple[int, int]] = [m.span() for m in self._idioms.finditer(text)]
        idioms = list(covered)
        for m in self.matcher.match(text, toks, corrected=corrected):
            if any(a <= m.start and m.end <= b for a, b in idioms):
                continue
            ents.append(Entity(m.start, m.end, "finding", text[m.start:m.end], 1.0, "lexicon", attributes={"finding": m.value}))
            covered.append((m.start, m.end))
        stated = extract_age(text) if age is None else None
        known_age = age if age is not None else (float(stated.value) if stated else None)  # type: ignore[arg-type]
        readings, spans = self.measurements.read_spans(text, known_age)
        for r in readings:
            ents.append(Entity(r.start, r.end, "finding", r.text, 1.0, "lexicon",
                               attributes={"finding": r.finding, "measured": r.present, "value": r.value}))
        # every value read is covered, also one that says nothing ("HR 88"): the embedding must not guess from it
        covered.extend(spans)
        if self.settings.use_embeddings:
            ents.extend(self._embedding_matches(text, sentences, covered))
        return ents

    def observe(self, note: Note) -> IntakeResult:
        """Read a note whose findings carry their assertion: what the patient has or has not (the first
        statement of each finding, an explicit lexicon match before an embedding one), what is about
        someone else, hypothetical or past, and the age, sex, duration and onset stated."""
        text = note.text
        result = IntakeResult([])
        result.age, result.sex = extract_age(text), extract_sex(text)
        result.duration, result.onset = extract_duration(text), extract_onset(text)
        words = [m.group().lower() for m in _TOKEN.finditer(text)]
        if len(words) >= 6 and sum(w in self.english for w in words) / len(words) < 0.05:
            result.warnings.append("This does not look like English; MedAssist reads English only.")
        for ent in note.entities:
            if "measured" in ent.attributes:  # a measured value decides, not the words around it
                ent.negated = not ent.attributes["measured"]
        about_child = bool(_SUBJECT_CHILD.search(text))
        seen: dict[str, Observation] = {}
        for ent in note.entities:
            if "finding" not in ent.attributes:
                continue  # not an intake finding
            fid = ent.attributes["finding"]
            kind = self.kb.findings[fid].kind
            about_family = "family" in fid
            if ent.family and about_child and _only_child_cues(ent.assertion_cues):
                ent.family = False  # "my daughter has a fever": the daughter is the patient, not a relative
            if ent.hypothetical or (ent.family and not about_family) or (ent.historical and kind == "symptom" and not ent.negated):
                reason = "hypothetical" if ent.hypothetical else "about someone else" if ent.family else "in the past"
                ent.attributes["ignored"] = reason
                result.ignored.append({"finding": fid, "text": ent.text, "start": ent.start, "end": ent.end,
                                       "reason": reason})
                continue
            obs = Observation(fid, not ent.negated, "text" if ent.source == "lexicon" else "embedding",
                              ent.start, ent.end, ent.text, ent.score)
            old = seen.get(fid)
            # a measured value beats words; an explicit lexicon match beats an embedding one; otherwise the
            # first statement wins
            if old is None or (old.source == "embedding" and obs.source == "text") or "measured" in ent.attributes:
                seen[fid] = obs
        result.observations = sorted(seen.values(), key=lambda o: o.start or 0)
        return result

    def _embedding_matches(self, text: str, sentences: list[tuple[int, int]], covered: list[tuple[int, int]]) -> list[Entity]:

        clauses = []
        for s, e in sentences:
            for a, b in self._clauses(text, s, e):
                content = norm_tokens(text[a:b])
                uncovered = [t for t in content if not any(x <= a + t[0] < y for x, y in covered)]
                if len(uncovered) >= 1 and len(content) <= 14:
                    # trim leading negation/pronoun words so "I don't have a sore throat" embeds as its content
                    clauses.append((a, b))
        if not clauses:
            return []
        # the query is the clause without its leading cue words ("I don't have", "no"); the entity
        # span starts after them too, so the ConText rules still see the cue and negate the finding
        spans, queries = [], []
        whole: list[tuple[int, str] | None] = []  # the clause with its leading negation, when one was trimmed
        for a, b in clauses:
            a2 = a + _cue_prefix_length(text[a:b])
            while a < a2 and not text[a].isalnum():
                a += 1
            while a2 < b and not text[a2].isalnum():
                a2 += 1
            while b > a2 and not text[b - 1].isalnum():
                b -= 1
            q = self._expand(text[a2:b])
            if len(norm_tokens(q)) >= 1 and len(q) >= 3:
                spans.append((a2, b))
                queries.append(q)
                whole.append((a, self._expand(text[a:b])) if _NEGATIVE_PHRASE.search(text[a:a2]) else None)
        if not queries:
            return []
        # A clause can deny what it names inside itself ("my neck is not stiff", "she is feeding well", "I can
        # open my mouth fully"): the ConText rules cannot see a cue inside the span they flag, so such a
        # clause is embedded twice, as written and without its denial; it is read as the finding written
        # with a negation ("I haven't peed all day") when that wins, else as the finding denied.
        denials = [self._denial(q) for q in queries]
        best_by_span: dict[tuple[int, int], tuple[float, Entity]] = {}
        for encoder, phrase_emb, sim, overlap in self._passes():
            for margin, ent in self._embedding_pass(text, encoder, phrase_emb, sim, overlap, spans, queries, denials,
                                                    whole):
                old = best_by_span.get((ent.start, ent.end))
                if old is None or margin > old[0]:
                    best_by_span[(ent.start, ent.end)] = (margin, ent)
        return [ent for _, ent in sorted(best_by_span.values(), key=lambda me: (me[1].start, me[1].end))]

    def _embedding_pass(self, text: str, encoder: str, phrase_emb: np.ndarray, sim: float, overlap: float,
                        spans: list[tuple[int, int]], queries: list[str],
                        denials: list[tuple[str, str, bool] | None],
                        whole: list[tuple[int, str] | None]) -> list[tuple[float, Entity]]:
        """One encoder's reading of the clauses: (margin above its threshold, entity) per clause matched."""
        from medassist.models.embed import shared_embedder

        stripped = [d[1] for d in denials if d is not None and d[1]]
        wholes = [w[1] for w in whole if w is not None]
        emb = shared_embedder(encoder).encode(queries + stripped + wholes)
        sims = emb[: len(queries)] @ phrase_emb.T
        sims_stripped = emb[len(queries):len(queries) + len(stripped)] @ phrase_emb.T if stripped else None
        sims_whole = emb[len(queries) + len(stripped):] @ phrase_emb.T if wholes else None
        out = []
        k = w = 0
        for row, (a, b), q, denial, wh in zip(sims, spans, queries, denials, whole, strict=True):
            best = self._best_finding(row, q, sim, overlap)
            if wh is not None and sims_whole is not None:
                # "I haven't peed all day" is a finding that is itself said with a negation ("I've hardly peed
                # today"): read with its negation, the clause is that finding, present, when it matches closely
                # and better than the clause without it ("peed all day" against "peeing all the time")
                with_no = self._best_finding(sims_whole[w], wh[1], sim, overlap)
                w += 1
                if (with_no is not None and with_no[1] >= sim and _NEGATIVE_PHRASE.search(with_no[2])
                        and (best is None or with_no[1] > best[1])):
                    out.append((with_no[1] - sim, Entity(wh[0], b, "finding", text[wh[0]:b], round(with_no[1], 3),
                                                         "embedding", attributes={"finding": with_no[0],
                                                                                  "matched_phrase": with_no[2]})))
                    continue
            negated_by = None
            if denial is not None and not denial[1]:
                continue  # all reassurance, nothing named ("I feel fine"): no finding either way
            if denial is not None:
                cue, plain, says_no = denial
                if sims_stripped is None:  # pragma: no cover - stripped is non-empty whenever a denial exists
                    raise AssertionError
                plain_best = self._best_finding(sims_stripped[k], plain, sim, overlap)
                k += 1
                phrase_says_no = best is not None and _NEGATIVE_PHRASE.search(best[2]) is not None
                if phrase_says_no and says_no and best[1] >= sim and (plain_best is None or best[1] >= plain_best[1]):  # type: ignore[index]
                    pass  # "I haven't peed all day" is the finding "haven't passed urine": present (a close match
                    # only: "it doesn't go down my legs" shares a word and a "not" with "my legs won't hold me")
                elif phrase_says_no and not says_no:
                    negated_by = cue  # "feeding well" against "not feeding well": that finding is absent
                elif plain_best is not None:
                    best, negated_by = plain_best, cue  # "my neck is not stiff": neck stiffness, absent
                else:
                    best = None  # it denies something and names nothing well enough
            if best is None:
                continue
            fid, score, phrase = best
            ent = Entity(a, b, "finding", text[a:b], round(score, 3), "embedding",
                         attributes={"finding": fid, "matched_phrase": phrase})
            if encoder != self._encoder:
                ent.attributes["encoder"] = encoder
            if negated_by:
                ent.negated = True
                ent.assertion_cues.append(f"negated:{negated_by}")
            out.append((score - sim, ent))
        return out

    def _denial(self, query: str) -> tuple[str, str, bool] | None:
        """(the denying words, the clause without them, whether a negation cue is among them) when the clause
        denies or reassures inside itself; the clause without them is "" when nothing else is left."""
        cues = [m for m in self.assertion.rules.cues.match(query) if m.value.category in ("negated", "pseudo")]
        if any(m.value.category == "pseudo" for m in cues):
            return None  # "not going away", "not well": not a denial
        found = [(m.start, m.end) for m in cues]
        found += [(m.start(), m.end()) for m in _REASSURANCE.finditer(query)]
        if not found:
            return None
        plain, words, pos = [], [], 0
        for a, b in sorted(found):
            if a < pos:
                continue
            plain.append(query[pos:a])
            words.append(query[a:b])
            pos = b
        plain.append(query[pos:])
        rest = " ".join("".join(plain).split())
        says_no = any(m.value.category == "negated" for m in cues)
        # a clause that is only reassurance ("I feel fine") comes back with nothing left to embed
        return " ".join(words).lower(), rest if len(norm_tokens(rest)) >= 1 else "", says_no

    def _best_finding(self, row: np.ndarray, query: str, similarity: float | None = None,
                      overlap: float | None = None) -> tuple[str, float, str] | None:
        s = self.settings
        similarity = s.similarity if similarity is None else similarity
        overlap = s.similarity_overlap if overlap is None else overlap
        by_finding: dict[str, tuple[float, int]] = {}
        for j in np.argsort(-row)[:20]:
            fid = self.phrases[j].finding
            if fid not in by_finding:
                by_finding[fid] = (float(row[j]), int(j))
        q_stems = {t for _, _, t in norm_tokens(query)}
        ranked = sorted(by_finding.items(), key=lambda kv: -kv[1][0])
        for fid, (score, j) in ranked[:3]:
            phrase = self.phrases[j].text
            # a shared word lowers the bar only when the clause says more than that word ("black" is not "black poo")
            # and a warning sign's phrase needs two shared words ("painful spasms"; not "rash" alone)
            shared = (q_stems - _PARTICLES) & {t for _, _, t in norm_tokens(phrase)}
            ok = score >= similarity or (
                score >= overlap and len(q_stems - _PARTICLES) >= 2
                and len(shared) >= (2 if fid in self._warning_findings else 1)
            )
            # "paracetamol doesn't help much" is about a treatment, not an overdose: a clause saying a treatment
            # does not help names only a finding that says so too ("my blue inhaler isn't helping")
            if ok and _TREATMENT_FAILS.search(query) and not _TREATMENT_FAILS.search(phrase):
                ok = False
            if not ok:
                continue
            # a specific finding that barely beats its own generic parent is not specific evidence
            for anc in _ancestors(fid, self.kb):
                if anc in by_finding and score - by_finding[anc][0] < s.parent_margin:
                    fid, (score, j) = anc, by_finding[anc]
                    break
            return fid, score, self.phrases[j].text
        return None


# Reassurance inside a clause: the finding it names is absent ("feeding well", "wet nappies as usual", "I can
# open my mouth fully", "fully vaccinated", "my vision seems OK", "tolerating oral fluids"). "as well", "not well" and "unwell" are not reassurance.
_REASSURANCE = re.compile(
    r"(?<!\bas )(?<!\bnot )(?<!\bun)\b(?:well|fine|normally|normal|as usual|as normal|fully|properly|no problems?|"
    r"no trouble|no bother|without (?:any )?(?:problems?|trouble|difficulty)|ok|okay|alright|all right|"
    r"tolerat(?:ing|es|ed)|keeping (?:it|them|fluids|food|drinks|liquids|everything|things) down)\b", re.I)
# words too light to count as shared meaning ("then go off" and "I've gone off sex" share only "off")
_PARTICLES = frozenset({"off", "on", "up", "down", "out", "over", "away", "in", "go", "goe", "get", "got", "come",
                        "feel", "make", "take", "keep", "just", "really", "very", "bit", "lot", "thing", "like",
                        "now", "then", "he", "she", "her", "his", "him", "they", "them", "their", "we", "our", "you",
                        "your"})
# a treatment that does not work ("doesn't help", "isn't working", "nothing eases it")
_TREATMENT_FAILS = re.compile(
    r"(?:n't|\bnot|\bnever|\bnothing)\s+(?:\w+\s+)?(?:help|helps|helping|helped|work|works|working|worked|ease|eases|"
    r"easing|eased|touch|touches|touching|relieve|relieves|relieving|last|lasting)\b|\bno (?:help|use|relief|better)\b", re.I)
# a phrase of the knowledge base that itself says "not" ("I haven't peed all day", "can't catch my breath"); also
# tells whether a clause's leading cue words hold a negation
_NEGATIVE_PHRASE = re.compile(r"n't|\bnot\b|\bno\b|\bnever\b|\bcannot\b|\bunable\b|\bwithout\b|\bnothing\b|\bhardly\b", re.I)

# a parent writing about their child: the child is the patient
_CHILD_WORDS = ("son", "daughter", "baby", "child", "kid", "boy", "girl", "toddler", "infant", "newborn")
_SUBJECT_CHILD = re.compile(
    r"\b(?:my|our)\s+(?:\d+[- ]?(?:day|week|month|year|yr)s?[- ]old\s+|little\s+|eldest\s+|youngest\s+)?"
    r"(?:son|daughter|baby|child|kid|boy|girl|toddler|infant|newborn)\b", re.I)


def _only_child_cues(cues: list[str]) -> bool:
    family = [c.split(":", 1)[1] for c in cues if c.startswith("family:")]
    return bool(family) and all(any(w in cue.split() for w in _CHILD_WORDS) for cue in family)


def _ancestors(fid: str, kb: KnowledgeBase) -> list[str]:
    parts = fid.split("_")
    return [a for a in ("_".join(parts[:k]) for k in range(len(parts) - 1, 0, -1)) if a in kb.findings]


def _cue_prefix_length(s: str) -> int:
    """Length of the leading cue words of a clause ("I don't have a ", "no ", "also ")."""
    rest = s
    while True:
        m = _CUES.match(rest)
        if not m or not m.group(0):
            return len(s) - len(rest)
        rest = rest[m.end():]


_CUES = re.compile(r"^\s*(?:(?:i|we|he|she|they)\s+)?(?:(?:do|does|did|have|has)\s*n[o']?t|don'?t|doesn'?t|didn'?t|haven'?t|hasn'?t|no|not|never|without|denies|also|and|but|plus|then|i'?ve|i'?m|i\s+am|i\s+have|got|had|has|have)\b\s*", re.I)


# ---------------------------------------------------------------------------------------------- pipeline
# configs/pipeline-intake.yaml (medassist.load("intake")): sentences -> intake_findings -> assertion (with the
# patient-language rules) -> intake_observations.  The diagnosis engine reads patients' words through it.
INTAKE_COMPONENTS = ("intake_findings", "intake_observations")


class IntakeFindings:
    """Component ``intake_findings``: the findings named in a patient's text, as ``finding`` entities."""

    reads: tuple[str, ...] = ("text", "sentences", "meta")  # meta["age"]: an age the caller knows
    writes: tuple[str, ...] = ("entities",)

    def __init__(self, intake: Intake) -> None:
        self.intake = intake

    def __call__(self, note: Note) -> Note:
        limit = self.intake.settings.max_chars
        if len(note.text) > limit:
            raise InputError(ErrorCode.E402, length=len(note.text), limit=limit)
        note.entities.extend(self.intake.find(note.text, note.sentences or [(0, len(note.text))], note.meta.get("age")))
        return note


class IntakeObservations:
    """Component ``intake_observations``: after assertion, what the patient has (present) or has not (absent).

    Writes ``note.meta["intake"]`` (observations, age, sex, duration, onset, warnings and the findings set
    aside, as plain data: :func:`intake_result` reads it back) and marks each finding set aside with
    ``attributes["ignored"]`` (hypothetical, about someone else, in the past)."""

    reads: tuple[str, ...] = ("entities",)
    writes: tuple[str, ...] = ("entities", "meta")

    def __init__(self, intake: Intake) -> None:
        self.intake = intake

    def __call__(self, note: Note) -> Note:
        res = self.intake.observe(note)
        note.meta["intake"] = {
            "observations": [dict(o.__dict__) for o in res.observations],
            "age": _value_data(res.age), "sex": _value_data(res.sex),
            "duration": _value_data(res.duration), "onset": _value_data(res.onset),
            "warnings": list(res.warnings), "ignored": [dict(i) for i in res.ignored],
        }
        return note


def _value_data(v: Value | None) -> dict[str, Any] | None:
    return None if v is None else {"value": v.value, "start": v.start, "end": v.end, "text": v.text}


def intake_result(note: Note) -> IntakeResult:
    """The :class:`IntakeResult` of a note read by the intake pipeline."""
    data = note.meta.get("intake")
    if not isinstance(data, dict):
        raise ConfigError(ErrorCode.E203, key="pipeline",
                          detail="the note was not read by the intake pipeline (its last component must be "
                                 "intake_observations, as in configs/pipeline-intake.yaml)")

    def value(key: str) -> Value | None:
        v = data[key]
        return None if v is None else Value(**v)

    return IntakeResult([Observation(**o) for o in data["observations"]], value("age"), value("sex"),
                        value("duration"), value("onset"), list(data["warnings"]), [dict(i) for i in data["ignored"]])


@functools.lru_cache(maxsize=4)
def _shared_intake(kb_path: str | None, settings: tuple[tuple[str, Any], ...]) -> Intake:
    from medassist.diagnosis.engine import load_diagnosis_config

    merged = {**load_diagnosis_config().intake, **dict(settings)}
    known = set(IntakeSettings.__dataclass_fields__)
    unknown = sorted(set(merged) - known)
    if unknown:
        raise ConfigError(ErrorCode.E202, key=f"intake.{unknown[0]}", where=" in the intake pipeline settings",
                          suggestion=", ".join(sorted(known)))
    return Intake(KnowledgeBase.load(kb_path), IntakeSettings(**merged))


def _component_intake(intake: Intake | None, kb_path: str | None, settings: dict[str, Any], name: str) -> Intake:
    if intake is None:
        return _shared_intake(kb_path, tuple(sorted(settings.items())))
    if kb_path is not None or settings:
        raise ConfigError(ErrorCode.E203, key=name, detail="give an Intake object or settings, not both "
                                                           "(the object brings its own knowledge base and settings)")
    return intake


def make_intake_findings(intake: Intake | None = None, kb_path: str | None = None, **settings: Any) -> IntakeFindings:
    """Factory for ``intake_findings``: the settings are those of :class:`IntakeSettings` (default: the intake
    section of configs/diagnosis.yaml), on the knowledge base at ``kb_path`` (default: the shipped one); the
    same settings in ``intake_observations`` share one :class:`Intake`."""
    return IntakeFindings(_component_intake(intake, kb_path, settings, "intake_findings"))


def make_intake_observations(intake: Intake | None = None, kb_path: str | None = None,
                             **settings: Any) -> IntakeObservations:
    """Factory for ``intake_observations`` (settings as for ``intake_findings``)."""
    return IntakeObservations(_component_intake(intake, kb_path, settings, "intake_observations"))


def intake_note(text: str, age: float | None = None) -> Note:
    """The note the intake pipeline reads: the text, and the age the caller knows (``meta["age"]``)."""
    return Note(text=text, meta={"age": age} if age is not None else {})


def intake_pipeline(intake: Intake | None = None, config: str | Path | None = None) -> Pipeline:
    """The intake pipeline of ``config`` (default: the shipped configs/pipeline-intake.yaml), its intake
    components on ``intake`` when one is given."""
    from medassist.pipeline import Pipeline, load_pipeline_config

    cfg = load_pipeline_config(config if config is not None else "intake")
    if intake is not None:
        cfg = cfg.model_copy(deep=True)
        for cc in cfg.components:
            if cc.name in INTAKE_COMPONENTS:
                cc.settings = {**cc.settings, "intake": intake}
    return Pipeline.from_config(cfg)
