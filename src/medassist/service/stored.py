"""The JSON the service stores (encrypted) for results, and how rows of earlier versions read as today's.

* a consultation's result: ``Assessment.to_dict()`` plus the service's ``see_clinician`` advice;
* a note's analysis: ``medassist.nlp.output.note_to_json(note, include_text=False)``, beside its FHIR Bundle.

Stored rows are never rewritten here: a row of an earlier shape is read into today's shape each time, with
what it can honestly be given (an identifier's text is cut from the stored note text; a score it never had
stays absent).
"""

from __future__ import annotations

from typing import Any

from medassist.doc import EMERGENCY_LEVELS


def consultation_result(result: dict[str, Any]) -> dict[str, Any]:
    """A stored result in today's shape.  Results stored before the engine returned a typed Assessment have no
    ``emergency``; those where no symptom was understood have no ``interview_done`` and ``stop_reason`` either."""
    if "emergency" in result and "interview_done" in result and "stop_reason" in result:
        return result
    out = dict(result)
    out.setdefault("emergency", (out.get("triage") or {}).get("level") in EMERGENCY_LEVELS)
    out.setdefault("interview_done", out.get("next_question") is None)
    out.setdefault("stop_reason", None)
    return out


def note_analysis(analysis: dict[str, Any], text: str) -> dict[str, Any]:
    """A stored analysis in today's shape.  Analyses stored before the API wrote notes with the CLI's
    ``medassist.nlp.output`` call the identifier spans ``identifiers`` (start, end and type only) and an
    entity's codes ``codes``."""
    if "identifiers" not in analysis and not any("codes" in e for e in analysis.get("entities", ())):
        return analysis
    out = dict(analysis)
    if "identifiers" in out:
        out["phi"] = [{**s, "text": text[s["start"]:s["end"]]} for s in out.pop("identifiers")]
    out["entities"] = [{("concepts" if k == "codes" else k): v for k, v in e.items()} for e in out.get("entities", [])]
    return out
