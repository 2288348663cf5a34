"""The clinical term lexicon and its token-trie matcher.

Terms come from four places, in this order of precedence when one surface form has several labels
(the concepts of all of them are kept on the entity):

1. the knowledge base conditions (label ``problem``, concepts ``medassist-kb`` + ``icd10cm``) and our
   problem list, vocabulary ``problems`` (``problem``, ``icd10cm``);
2. drugs: the drug tables of ``medassist.drugs`` (generic names, other names, brands, misspellings,
   classes; a broken table is an error, not a quieter lexicon) and our list, vocabulary ``drugs`` (``drug``,
   ``medassist-drug``);
3. the knowledge base findings (name, lay and clinical phrasings; ``finding``, ``medassist-kb``) and the
   vocabulary ``findings``;
4. the vocabularies ``tests`` (``test``), ``procedures`` (``procedure``), ``allergens`` (``allergy``) and
   ``anatomy`` (``anatomy``).

The vocabularies are the term tables of ``knowledge/data/terms`` (``medassist.knowledge.terms``); a missing
or broken one is E304/E305.

Matching is on tokens (runs of letters, numbers, single symbols), case-insensitive, longest match first,
left to right, and only at word boundaries ("DM" is not found inside "T2DMX").  Hyphens are ignored on
both sides ("a-fib" = "a fib").  Short abbreviations are case-sensitive so that common words do not
match: a term of one or two letters matches only in capitals ("MI", "MS"), a term of three or four
letters only when it starts with a capital ("CAD", "Hgb"), unless it is an ordinary word listed in
the vocabulary ``ordinary_short_words`` or an anatomy term.  A plural ``s`` on the last word is accepted.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from medassist.knowledge.terms import terms
from medassist.matcher import Case, PhraseMatcher, note_tokens

log = logging.getLogger(__name__)

LABELS = ("problem", "finding", "drug", "test", "procedure", "anatomy", "allergy")
LABEL_RANK = {"problem": 0, "drug": 1, "finding": 2, "test": 3, "procedure": 4, "allergy": 5, "anatomy": 6}


@functools.lru_cache(maxsize=1)
def ordinary_short_words() -> frozenset[str]:
    """Short terms that match in any case (vocabulary ``ordinary_short_words``)."""
    return terms("ordinary_short_words").words()


def pool_concepts(first: list[tuple[str, str, str]], more: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """``first`` then the concepts of ``more`` whose (system, code) is new: one code, one display."""
    seen = {(system, code) for system, code, _ in first}
    out = list(first)
    for c in more:
        if (c[0], c[1]) not in seen:
            seen.add((c[0], c[1]))
            out.append(c)
    return out


@dataclass
class TermInfo:
    label: str
    canonical: str
    concepts: list[tuple[str, str, str]] = field(default_factory=list)  # (system, code, display)
    source: str = "builtin"
    case: int = 0  # 0: any case; 1: must start with a capital; 2: must be all capitals
    rank: int | None = None  # precedence when one surface form has several labels (default: LABEL_RANK)

    @property
    def precedence(self) -> int:
        return self.rank if self.rank is not None else LABEL_RANK.get(self.label, 9)


@dataclass
class Match:
    start: int
    end: int
    info: TermInfo


def _case_rule(term: str, label: str) -> int:
    if label == "anatomy" or " " in term.strip() or not term.isalpha():
        return 0
    low = term.lower()
    if low in ordinary_short_words():
        return 0
    if len(low) <= 2:
        return 2
    if len(low) <= 4:
        return 1
    return 0


class Lexicon:
    """The clinical terms in the shared phrase matcher (``medassist.matcher``): term -> :class:`TermInfo`."""

    def __init__(self) -> None:
        self.matcher: PhraseMatcher[TermInfo] = PhraseMatcher(
            note_tokens, merge=_merge, boundaries=True, case_of=lambda info: Case(info.case))
        self._hash = hashlib.sha256()

    @property
    def size(self) -> int:
        return self.matcher.size

    def add(self, term: str, info: TermInfo, plural: bool = True) -> None:
        toks = self.matcher.keys(term)
        if not toks:
            return
        self._insert(toks, info)
        last = toks[-1]
        if plural and last.isalpha() and len(last) >= 4 and not last.endswith("s"):
            self._insert((*toks[:-1], last + "s"), info)
            if last.endswith(("y",)) and not last.endswith(("ay", "ey", "oy")):
                self._insert((*toks[:-1], last[:-1] + "ies"), info)

    def _insert(self, toks: tuple[str, ...], info: TermInfo) -> None:
        if self.matcher.add(toks, info):
            self._hash.update(("\x1f".join(toks) + "\x1e" + info.label + "\x1e" + info.canonical + "\n").encode())

    @property
    def digest(self) -> str:
        return self._hash.copy().hexdigest()[:16]

    def vocabulary(self) -> set[str]:
        """Every token used by a term (for other components' 'is this a clinical word' checks)."""
        return set(self.matcher.vocab)

    def terms(self) -> Iterable[tuple[str, TermInfo]]:
        for keys, _, info in self.matcher.entries():
            yield " ".join(keys), info

    def match(self, text: str, max_rank: int | None = None) -> list[Match]:
        """Longest matches, left to right; ``max_rank`` ignores entries of that precedence or lower."""
        accept = None if max_rank is None else (lambda info: info.precedence < max_rank)
        return [Match(m.start, m.end, m.value) for m in self.matcher.match(text, accept=accept)]


def _merge(existing: TermInfo, info: TermInfo) -> TermInfo:
    """One surface form, several sources: keep the highest-precedence label, pool the concepts."""
    if info.precedence < existing.precedence:
        info.concepts = pool_concepts(info.concepts, existing.concepts)
        info.case = min(info.case, existing.case)
        return info
    existing.concepts = pool_concepts(existing.concepts, info.concepts)
    existing.case = min(existing.case, info.case)
    return existing


# -------------------------------------------------------------------------------------------- building
def _kb_terms(lex: Lexicon, kb_path: str | None) -> int:
    """Add the knowledge-base conditions (names, lay names, aliases) and findings.  A broken knowledge base
    is an error (E301/E302), never a quietly weaker lexicon: turn the knowledge base off with use_kb false."""
    from medassist.knowledge import KnowledgeBase

    kb = KnowledgeBase.load(kb_path)
    n = 0
    for cond in kb.conditions.values():
        concepts = [("medassist-kb", cond.id, cond.name)]
        if getattr(cond, "icd10", None):
            concepts.append(("icd10cm", cond.icd10, cond.name))
        for term in dict.fromkeys([cond.name, *([cond.lay_name] if cond.lay_name else []), *cond.aliases]):  # ordered: same lexicon every run
            lex.add(term, TermInfo("problem", cond.name, list(concepts), "kb", _case_rule(term, "problem")))
            n += 1
    for f in kb.findings.values():
        concepts = [("medassist-kb", f.id, f.name)]
        # history / risk-factor findings ("known heart disease": "CABG") rank below tests and procedures
        rank = 5 if getattr(f, "kind", "") in ("history", "risk_factor", "exposure") else None
        for term in dict.fromkeys([f.name, *f.lay, *f.clinical]):
            lex.add(
                term, TermInfo("finding", f.name, list(concepts), "kb", _case_rule(term, "finding"), rank)
            )
            n += 1
    return n


_LEXICON_DRUG_FORMS = frozenset({"name", "other_name", "brand", "misspelling"})


def _drug_terms(lex: Lexicon) -> int:
    """Add the drugs and drug classes of the drug tables (``DrugDB.terms``, the one index of drug names).

    A broken drug table stops here with its catalogued error (E701/E702); to build a lexicon without drugs,
    say so (``use_drugs: false``)."""
    from medassist.drugs.data import get_db

    db = get_db()
    names: dict[str, dict[str, None]] = {}  # drug id -> its names, in table order, once each
    for t in db.terms("drug"):
        if t.form in _LEXICON_DRUG_FORMS and len(t.text) >= 3:
            names.setdefault(t.id, {})[t.text] = None
    n = 0
    for drug_id, drug_terms in names.items():
        drug = db.drugs[drug_id]
        concepts = [("medassist-drug", drug.id, drug.name)]
        if drug.rxcui:
            concepts.append(("rxnorm", drug.rxcui, drug.name))
        for term in drug_terms:
            lex.add(term, TermInfo("drug", drug.name, list(concepts), "drugs", _case_rule(term, "drug")))
            n += 1
    for t in db.terms("class"):
        if t.form == "name":
            lex.add(t.text, TermInfo("drug", t.text, [("medassist-drug-class", t.id, t.text)], "drugs"))
            n += 1
    return n


def _builtin_terms(lex: Lexicon, root: Path | None) -> int:
    """Add the problem list and the term tables of the vocabularies (``medassist.knowledge.terms``)."""
    n = 0
    for fields in terms("problems", root):
        term, canonical, code = fields[:3]
        lex.add(
            term,
            TermInfo(
                "problem", canonical, [("icd10cm", code, canonical)], "builtin", _case_rule(term, "problem")
            ),
        )
        n += 1
    drug_classes: set[str] = set()
    for fields in terms("drugs", root):
        term, generic = fields[:2]
        concepts = [("medassist-drug", generic.replace(" ", "_").replace("/", "_"), generic)]
        lex.add(term, TermInfo("drug", generic, concepts, "builtin", _case_rule(term, "drug")))
        if len(fields) > 2 and len(fields[2]) >= 5:
            drug_classes.add(fields[2])
        n += 1
    for cname in sorted(drug_classes):
        lex.add(
            cname,
            TermInfo("drug", cname, [("medassist-drug-class", cname.replace(" ", "_"), cname)], "builtin"),
        )
    for kind, label in (
        ("findings", "finding"),
        ("tests", "test"),
        ("procedures", "procedure"),
        ("allergens", "allergy"),
        ("anatomy", "anatomy"),
    ):
        for fields in terms(kind, root):
            term, canonical = fields[:2]
            lex.add(term, TermInfo(label, canonical, [], "builtin", _case_rule(term, label)))
            n += 1
    return n


@functools.lru_cache(maxsize=8)
def build_lexicon(
    use_kb: bool = True, use_drugs: bool = True, kb_path: str | None = None, data_dir: str | None = None
) -> Lexicon:
    """The merged lexicon (cached per argument set; the trie is read-only after building).  ``data_dir``: another
    folder of term tables in the layout of ``knowledge/data/terms`` (None: the shipped vocabularies)."""
    lex = Lexicon()
    root = Path(data_dir) if data_dir else None
    counts = {}
    # knowledge-base conditions and problem list first (highest precedence), then drugs, findings, the rest
    if use_kb:
        counts["kb"] = _kb_terms(lex, kb_path)
    if use_drugs:
        counts["drugs"] = _drug_terms(lex)
    counts["builtin"] = _builtin_terms(lex, root)
    log.info("entity lexicon: %d entries %s", lex.size, counts)
    return lex
