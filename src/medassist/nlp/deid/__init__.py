"""De-identification of clinical text: rules and a trained PHI tagger together (component ``deid``).

    from medassist.nlp.deid import Deidentifier
    note = Deidentifier(replace="surrogate")(Note(text))     # note.phi, note.deid_text

The package: ``types`` (identifier types, hits, merging), ``patterns`` (patterns and word lists as data in
``knowledge/data/deid``), ``recognizers`` (one per kind of identifier) and ``rules`` (all of them in
order), ``model`` (the trained tagger), ``denylist`` (clinical numbers that are never identifiers),
``surrogates`` (stand-ins and the per-note date shift), ``component`` (precedence, output), ``synth``
(generated notes for training and tests) and ``corpus`` (real and generated corpora for training and
scoring).

Identifier types (``PHI_TYPES``): NAME, DATE (every element but the year), AGE (over 89), PHONE, FAX,
EMAIL, SSN, MRN, HEALTH_PLAN, ACCOUNT, LICENSE, VEHICLE, DEVICE, URL, IP, ADDRESS (street, P.O. box),
CITY, ZIP, FACILITY (hospital and clinic names: they give a place away), ID (other unique numbers).
"""

from medassist.nlp.deid.component import (
    DEFAULT_SECRET,
    DETECTORS,
    MODES,
    REPLACE,
    SECRET_ENV,
    Deidentifier,
    deidentify,
    make_deid,
)
from medassist.nlp.deid.rules import RuleDetector
from medassist.nlp.deid.types import PHI_TYPES, Hit, merge_hits

__all__ = ["DEFAULT_SECRET", "DETECTORS", "MODES", "PHI_TYPES", "REPLACE", "SECRET_ENV", "Deidentifier", "Hit",
           "RuleDetector", "deidentify", "make_deid", "merge_hits"]
