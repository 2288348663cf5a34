"""A note's entities as a FHIR R4 Bundle (``fhir.resources.R4B`` models; validated by constructing them).

Mapping (documented for users in configs/pipeline.yaml and the report):

* ``problem`` -> ``Condition`` (category ``problem-list-item`` in the history sections, else
  ``encounter-diagnosis``); ``verificationStatus`` ``refuted`` when negated, ``unconfirmed`` when possible,
  else ``confirmed``; ``clinicalStatus`` ``resolved`` when a historical cue says so ("history of", "s/p"),
  ``inactive`` when it is historical only by its section (Past Medical History), none when refuted, else
  ``active``.
* ``finding`` -> ``Observation`` (status ``final``, ``valueBoolean`` false when negated; possible and
  historical are stated in ``note``).
* ``drug`` -> ``MedicationStatement`` (status ``not-taken`` when negated, ``completed`` when historical,
  ``intended`` when hypothetical, else ``active``; ``dosage.text`` and, when parsed, route and dose);
  a drug in the Allergies section -> ``AllergyIntolerance`` instead; ``allergy`` entities (latex, peanuts)
  -> ``AllergyIntolerance``; "NKDA" in the Allergies section -> ``AllergyIntolerance`` coded SNOMED CT
  409137002 (no known drug allergy).
* ``family`` entities (problems and findings) -> one ``FamilyMemberHistory`` per relative (relationship
  from the cue: mother, father...; otherwise "family member"); negated family entities are left out.
* hypothetical problems and findings ("return if chest pain develops") are left out; tests, procedures
  and anatomy are not exported.

Every resource carries the character offsets of its evidence in an extension
(``urn:medassist:text-span``, "start-end") and references a ``Patient`` with no identifying data.
"""

from __future__ import annotations

import functools
import hashlib
import re
import uuid
from typing import Any

from medassist.doc import Entity, Note
from medassist.knowledge.terms import terms

SYSTEMS = {
    "icd10cm": "http://hl7.org/fhir/sid/icd-10-cm",
    "medassist-kb": "urn:medassist:kb",
    "medassist-drug": "urn:medassist:drug",
    "medassist-drug-class": "urn:medassist:drug-class",
    "rxnorm": "http://www.nlm.nih.gov/research/umls/rxnorm",
}
SPAN_EXT = "urn:medassist:text-span"
_VER = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
_CLIN = "http://terminology.hl7.org/CodeSystem/condition-clinical"
_CAT = "http://terminology.hl7.org/CodeSystem/condition-category"
_ROLE = "http://terminology.hl7.org/CodeSystem/v3-RoleCode"
_SNOMED = "http://snomed.info/sct"


@functools.lru_cache(maxsize=1)
def _relationships() -> dict[str, tuple[str, str]]:
    """relative word -> (HL7 v3 RoleCode code, display): vocabulary ``family_relationships``."""
    return {word: (code, display) for word, code, display in terms("family_relationships")}


_NKDA = re.compile(r"\b(?:nkda|nka|no known (?:drug )?allergies|no known drug allergy)\b", re.IGNORECASE)


def _uuid(seed: str, *parts: object) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, seed + "/" + "/".join(str(p) for p in parts)))


def _concept(ent: Entity) -> dict[str, Any]:
    codings = []
    for c in ent.concepts:
        system = SYSTEMS.get(c.system, f"urn:medassist:{c.system}")
        coding: dict[str, Any] = {"system": system, "code": c.code}
        if c.display:
            coding["display"] = c.display
        codings.append(coding)
    out: dict[str, Any] = {"text": str(ent.attributes.get("canonical") or ent.text)}
    if codings:
        out["coding"] = codings
    return out


def _span_ext(ent: Entity) -> list[dict[str, Any]]:
    return [{"url": SPAN_EXT, "valueString": f"{ent.start}-{ent.end}"}]


def _historical_by_cue(ent: Entity) -> bool:
    return any(c.startswith("historical:") and ":section:" not in c for c in ent.assertion_cues)


def build_bundle(note: Note) -> dict[str, Any]:
    """The FHIR R4 Bundle (type collection) as a JSON-ready dict, validated with fhir.resources.R4B."""
    from fhir.resources.R4B.allergyintolerance import AllergyIntolerance
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.condition import Condition
    from fhir.resources.R4B.familymemberhistory import FamilyMemberHistory
    from fhir.resources.R4B.medicationstatement import MedicationStatement
    from fhir.resources.R4B.observation import Observation
    from fhir.resources.R4B.patient import Patient

    seed = note.id or hashlib.sha256(note.text.encode("utf-8", "surrogatepass")).hexdigest()
    patient_id = _uuid(seed, "patient")
    patient_ref = {"reference": f"urn:uuid:{patient_id}"}
    resources: list[tuple[str, Any]] = [(patient_id, Patient(id=patient_id))]
    family: dict[str, list[Entity]] = {}

    # findings in the Allergies section are reactions of the allergy written before them
    reactions: dict[int, list[Entity]] = {}
    last_allergy: int | None = None
    for n, ent in enumerate(note.entities):
        if ent.section != "allergies":
            last_allergy = None
            continue
        if ent.label == "allergy" or ent.label == "drug" and ent.attributes.get("allergy"):
            last_allergy = n
        elif ent.label == "finding" and last_allergy is not None:
            reactions.setdefault(last_allergy, []).append(ent)
    as_reaction = {id(e) for group in reactions.values() for e in group}

    for n, ent in enumerate(note.entities):
        rid = _uuid(seed, n, ent.start, ent.end, ent.label)
        if id(ent) in as_reaction:
            continue
        if ent.family and ent.label in ("problem", "finding"):
            if not ent.negated and not ent.hypothetical:
                family.setdefault(str(ent.attributes.get("relative") or "family"), []).append(ent)
            continue
        if ent.label == "problem":
            if ent.hypothetical:
                continue
            ver = "refuted" if ent.negated else "unconfirmed" if ent.possible else "confirmed"
            data: dict[str, Any] = {
                "id": rid,
                "extension": _span_ext(ent),
                "subject": patient_ref,
                "code": _concept(ent),
                "verificationStatus": {"coding": [{"system": _VER, "code": ver}]},
                "category": [
                    {
                        "coding": [
                            {
                                "system": _CAT,
                                "code": "problem-list-item"
                                if ent.section in ("past_medical_history", "past_surgical_history")
                                else "encounter-diagnosis",
                            }
                        ]
                    }
                ],
            }
            if ver != "refuted":
                status = (
                    ("resolved" if _historical_by_cue(ent) else "inactive") if ent.historical else "active"
                )
                data["clinicalStatus"] = {"coding": [{"system": _CLIN, "code": status}]}
            resources.append((rid, Condition(**data)))
        elif ent.label == "finding":
            if ent.hypothetical:
                continue
            notes = [w for w, f in (("possible", ent.possible), ("historical", ent.historical)) if f]
            obs: dict[str, Any] = {
                "id": rid,
                "extension": _span_ext(ent),
                "status": "final",
                "subject": patient_ref,
                "code": _concept(ent),
                "valueBoolean": not ent.negated,
            }
            if notes:
                obs["note"] = [{"text": f"asserted as {' and '.join(notes)} in the note"}]
            resources.append((rid, Observation(**obs)))
        elif ent.label == "drug" and ent.attributes.get("allergy") or ent.label == "allergy":
            if ent.negated:
                continue
            resources.append(
                (
                    rid,
                    AllergyIntolerance(
                        id=rid,
                        extension=_span_ext(ent),
                        patient=patient_ref,
                        code=_concept(ent),
                        category=["medication"] if ent.label == "drug" else None,
                        reaction=[{"manifestation": [_concept(r) for r in reactions[n]]}]
                        if n in reactions
                        else None,
                        clinicalStatus={
                            "coding": [
                                {
                                    "system": "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical",
                                    "code": "active",
                                }
                            ]
                        },
                    ),
                )
            )
        elif ent.label == "drug":
            status = (
                "not-taken"
                if ent.negated
                else "completed"
                if ent.historical
                else "intended"
                if ent.hypothetical
                else "active"
            )
            dosage: dict[str, Any] = {}
            a = ent.attributes
            if a.get("dosage_text"):
                dosage["text"] = a["dosage_text"]
            if a.get("route"):
                dosage["route"] = {"text": a["route"]}
            if a.get("as_needed"):
                dosage["asNeededBoolean"] = True
            dose = str(a.get("dose", ""))
            if re.fullmatch(r"\d+(?:\.\d+)?", dose):
                dosage["doseAndRate"] = [{"doseQuantity": {"value": float(dose), "unit": a.get("unit", "")}}]
            ms: dict[str, Any] = {
                "id": rid,
                "extension": _span_ext(ent),
                "status": status,
                "subject": patient_ref,
                "medicationCodeableConcept": _concept(ent),
            }
            if dosage:
                ms["dosage"] = [dosage]
            resources.append((rid, MedicationStatement(**ms)))

    for sec in note.sections:
        if sec.name == "allergies":
            m = _NKDA.search(note.text, sec.body_start, sec.end)
            if m:
                rid = _uuid(seed, "nkda", m.start())
                resources.append(
                    (
                        rid,
                        AllergyIntolerance(
                            id=rid,
                            extension=[{"url": SPAN_EXT, "valueString": f"{m.start()}-{m.end()}"}],
                            patient=patient_ref,
                            code={
                                "coding": [
                                    {
                                        "system": _SNOMED,
                                        "code": "409137002",
                                        "display": "No known drug allergy",
                                    }
                                ],
                                "text": "No known drug allergy",
                            },
                        ),
                    )
                )

    for relative, ents in family.items():
        rid = _uuid(seed, "family", relative)
        code, display = _relationships().get(relative, ("FAMMEMB", "family member"))
        resources.append(
            (
                rid,
                FamilyMemberHistory(
                    id=rid,
                    status="partial",
                    patient=patient_ref,
                    relationship={"coding": [{"system": _ROLE, "code": code, "display": display}]},
                    condition=[{"code": _concept(e), "extension": _span_ext(e)} for e in ents],
                ),
            )
        )

    bundle = Bundle(
        type="collection",
        entry=[{"fullUrl": f"urn:uuid:{rid}", "resource": res} for rid, res in resources],
    )
    return bundle.model_dump(mode="json", exclude_none=True)

