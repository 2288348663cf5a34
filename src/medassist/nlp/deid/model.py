"""The trained PHI tagger: a token classifier fine-tuned with our own engine (MiniLM + LoRA) on real
nursing notes and generated notes, shipped in ``artifacts/deid-phi`` (its model card names the data and
the GPL-2.0 licence of the real notes).

The tagger has five labels: NAME, LOCATION, DATE, CONTACT, ID.  Its spans become our identifier types:
LOCATION is a FACILITY when it names a kind of care place (hospital, clinic, rehab ...), an ADDRESS when
it holds a house number, else a CITY; CONTACT is an EMAIL, a URL or a PHONE by its shape.  Loaded once
per (path, quantization) and shared read-only.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any, Protocol

from medassist.errors import ConfigError, ErrorCode
from medassist.nlp.deid.types import PHI_TYPES, Hit

SHIPPED = Path(__file__).resolve().parents[2] / "artifacts" / "deid-phi"
TAGGER_LABELS = ("NAME", "LOCATION", "DATE", "CONTACT", "ID")

# Any model's labels mapped to ours (BIO prefixes are stripped first): our tagger's and common others'.
MODEL_LABELS = {
    "PATIENT": "NAME", "DOCTOR": "NAME", "PERSON": "NAME", "PER": "NAME", "USERNAME": "NAME", "STAFF": "NAME",
    "HCW": "NAME", "NAME": "NAME", "DATE": "DATE", "DATE_TIME": "DATE", "AGE": "AGE", "PHONE": "PHONE",
    "PHONE_NUMBER": "PHONE", "FAX": "FAX", "EMAIL": "EMAIL", "EMAIL_ADDRESS": "EMAIL", "SSN": "SSN",
    "US_SSN": "SSN", "MRN": "MRN", "MEDICALRECORD": "MRN", "MEDICAL_RECORD": "MRN", "HEALTHPLAN": "HEALTH_PLAN",
    "HEALTH_PLAN": "HEALTH_PLAN", "ACCOUNT": "ACCOUNT", "LICENSE": "LICENSE", "VEHICLE": "VEHICLE",
    "DEVICE": "DEVICE", "URL": "URL", "IP": "IP", "IP_ADDRESS": "IP", "STREET": "ADDRESS", "ADDRESS": "ADDRESS",
    "LOC": "CITY", "CITY": "CITY", "ZIP": "ZIP", "HOSPITAL": "FACILITY", "ORGANIZATION": "FACILITY",
    "FACILITY": "FACILITY", "ID": "ID", "IDNUM": "ID", "BIOID": "ID",
}  # fmt: skip
_FACILITY_WORD = re.compile(
    r"\b(?:hosp(?:ital)?s?|clinic|medical|center|centre|health|rehab(?:ilitation)?|nursing|home|hospice|"
    r"infirmary|institute|va|vamc|manor|care|ccu|icu|unit|ward|floor|ed|er)\b", re.IGNORECASE)


class SpanModel(Protocol):
    def predict_spans(self, texts: list[str]) -> list[list[dict[str, Any]]]: ...


def our_label(raw: str, text: str) -> str:
    """Our identifier type for a model label and the span's text."""
    raw = re.sub(r"^[BIESLU]-", "", raw.upper())
    if raw == "LOCATION":
        if _FACILITY_WORD.search(text):
            return "FACILITY"
        return "ADDRESS" if re.match(r"\s*\d", text) else "CITY"
    if raw == "CONTACT":
        return "EMAIL" if "@" in text else "URL" if re.search(r"www\.|https?://|\.(?:com|org|net)\b", text, re.I) else "PHONE"
    return MODEL_LABELS.get(raw, raw if raw in PHI_TYPES else "ID")


@functools.lru_cache(maxsize=4)
def load_tagger(path: str = str(SHIPPED), quantize: str | None = "int8") -> SpanModel:
    """The tagger in ``path`` (default: the shipped one), loaded once."""
    p = Path(path)
    if not (p / "medassist.json").exists():
        raise ConfigError(ErrorCode.E508, path=p, detail="no model directory here (missing medassist.json); "
                          "use detector 'rules', or give a trained model directory")
    try:
        from medassist.models import load_model
    except ImportError as exc:  # torch / transformers are core dependencies: a broken install
        raise ConfigError(ErrorCode.E210, package=exc.name or "torch", extra="all") from None
    return load_model(p, quantize=quantize, batch_size=16)


def model_hits(model: SpanModel, texts: list[str], where: str, threshold: float = 0.0) -> list[list[Hit]]:
    """The model's spans for each text as hits (source ``model``), checked and mapped to our types.
    Errors name the model, never the text."""
    try:
        result = model.predict_spans(texts)
    except Exception as exc:  # the model's own failure: say which, never the text
        raise ConfigError(ErrorCode.E508, path=where, detail=f"predict_spans raised {type(exc).__name__}") from None
    if not isinstance(result, list) or len(result) != len(texts) or not all(isinstance(r, list) for r in result):
        raise ConfigError(ErrorCode.E508, path=where, detail="it did not return one list of spans per text")
    out: list[list[Hit]] = []
    for text, spans in zip(texts, result, strict=True):
        hits: list[Hit] = []
        for item in spans:
            try:
                start, end = int(item["start"]), int(item["end"])
                raw = str(item["label"])
                score = float(item.get("score", 1.0))
            except (KeyError, TypeError, ValueError):
                raise ConfigError(ErrorCode.E508, path=where, detail="a span lacks start, end or label") from None
            if not 0 <= start < end <= len(text) or score < threshold:
                continue
            hits.append(Hit(start, end, our_label(raw, text[start:end]), "model", score))
        out.append(hits)
    return out
