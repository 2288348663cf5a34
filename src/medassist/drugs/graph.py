"""A knowledge graph of drugs, classes, conditions and findings, with typed edges and provenance.

Nodes are ``drug:<id>``, ``class:<id>``, ``condition:<id>`` (diagnoses of the diagnosis knowledge
base), ``drug_condition:<id>`` (conditions of the drug-safety tables), ``finding:<id>`` and
``allergy:<id>``.  Edges carry a ``type`` and a ``provenance``: ``curated`` (with the sources named
in the data) or ``extracted`` (with the model, sentence and score that produced them).  Written as
GraphML (attributes flattened to strings) or node-link JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any


def _src(items: Iterable[Any], db=None) -> str:  # noqa: ANN001
    out = []
    for s in items:
        if isinstance(s, str) and db is not None and s in db.sources:
            out.append(db.sources[s].title)
        elif hasattr(s, "title"):
            out.append(s.title)
        else:
            out.append(str(s))
    return "; ".join(out)


def build_graph(*, kb=None, db=None, extracted: Iterable[dict[str, Any]] = ()):  # noqa: ANN001, ANN201
    import networkx as nx

    from medassist.drugs.data import get_db
    from medassist.knowledge import KnowledgeBase

    kb = kb or KnowledgeBase.load()
    db = db or get_db()
    g = nx.MultiDiGraph()
    for f in kb.findings.values():
        g.add_node(f"finding:{f.id}", kind="finding", name=f.name, finding_kind=f.kind)
    for c in kb.conditions.values():
        g.add_node(f"condition:{c.id}", kind="condition", name=c.name, icd10=c.icd10, triage=c.triage, area=c.area)
        src = _src(c.sources)
        for link in c.findings:
            g.add_edge(f"condition:{c.id}", f"finding:{link.id}", type="has_finding", p=link.p, provenance="curated", sources=src)
        for link in c.risk_factors:
            g.add_edge(f"condition:{c.id}", f"finding:{link.id}", type="has_risk_factor", p=link.p, provenance="curated", sources=src)
        for fid in c.red_flags:
            g.add_edge(f"condition:{c.id}", f"finding:{fid}", type="red_flag", provenance="curated", sources=src)
    for cl in db.classes.values():
        g.add_node(f"class:{cl.id}", kind="class", name=cl.name)
        for inc in cl.includes:
            g.add_edge(f"class:{inc}", f"class:{cl.id}", type="subclass_of", provenance="curated", sources=_src(cl.sources, db))
    for d in db.drugs.values():
        g.add_node(f"drug:{d.id}", kind="drug", name=d.name, rxcui=d.rxcui or "")
        for cid in d.classes:
            g.add_edge(f"drug:{d.id}", f"class:{cid}", type="member_of", provenance="curated", sources="")
        for comp in d.components:
            g.add_edge(f"drug:{d.id}", f"drug:{comp}", type="contains", provenance="curated", sources="")
    for cond in db.conditions.values():
        g.add_node(f"drug_condition:{cond.id}", kind="drug_condition", name=cond.name, icd10=cond.icd10)
    for it in db.interactions:
        agents = [f"{a.kind}:{a.id}" for a in it.agents]
        for i in range(len(agents)):
            for j in range(i + 1, len(agents)):
                g.add_edge(agents[i], agents[j], type="interacts_with", severity=it.severity, topic=it.topic,
                           effect=it.effect, provenance="curated", sources=_src(it.sources, db))
    for ci in db.contraindications:
        g.add_edge(f"{ci.agent.kind}:{ci.agent.id}", f"drug_condition:{ci.condition}", type="contraindicated_in",
                   severity=ci.severity, provenance="curated", sources=_src(ci.sources, db))
    for grp in db.allergy_groups.values():
        g.add_node(f"allergy:{grp.id}", kind="allergy", name=grp.name)
        for m in grp.members:
            g.add_edge(f"allergy:{grp.id}", f"{m.kind}:{m.id}", type="allergy_to", severity=grp.severity,
                       provenance="curated", sources=_src(grp.sources, db))
        for cr in grp.cross_reactivity:
            for a in cr.agents:
                g.add_edge(f"allergy:{grp.id}", f"{a.kind}:{a.id}", type="cross_reacts_with", severity=cr.severity,
                           provenance="curated", sources=_src(grp.sources, db))
    for rel in extracted:
        a, b = rel["drug1"], rel["drug2"]
        g.add_edge(f"{a['kind']}:{a['id']}", f"{b['kind']}:{b['id']}", type="interacts_with", relation=rel["type"],
                   provenance="extracted", score=float(rel["score"]), sentence=rel["sentence"], document=rel.get("doc", ""),
                   model="ddi-relation")
    return g


def write_graph(g, path: str | Path) -> Path:  # noqa: ANN001
    import networkx as nx

    path = Path(path)
    if path.suffix.lower() == ".json":
        data = nx.node_link_data(g, edges="edges")
        path.write_text(json.dumps(data, indent=1, ensure_ascii=False), encoding="utf-8")
    elif path.suffix.lower() == ".graphml":
        nx.write_graphml(g, path)
    else:
        raise ValueError(f"{path}: use a .graphml or .json file name")
    return path
