"""The knowledge-graph export: typed edges with provenance, GraphML and node-link JSON."""

from __future__ import annotations

import json

import networkx as nx


def test_graph_has_typed_edges_with_provenance(tmp_path):
    from medassist.drugs.graph import build_graph, write_graph

    rel = {"drug1": {"kind": "drug", "id": "warfarin"}, "drug2": {"kind": "drug", "id": "ibuprofen"}, "type": "effect",
           "score": 0.9, "sentence": "Warfarin and ibuprofen increase bleeding.", "doc": "x"}
    g = build_graph(extracted=[rel])
    types = {d["type"] for _, _, d in g.edges(data=True)}
    assert {"has_finding", "member_of", "interacts_with", "contraindicated_in", "allergy_to"} <= types
    assert any(d["provenance"] == "extracted" for _, _, d in g.edges(data=True))
    assert all(d["provenance"] in ("curated", "extracted") for _, _, d in g.edges(data=True))
    # ibuprofen is an NSAID in the graph, and NSAIDs interact with anticoagulants
    assert g.has_edge("drug:ibuprofen", "class:nsaid") or any(
        d["type"] == "member_of" for _, v, d in g.out_edges("drug:ibuprofen", data=True))
    path = write_graph(g, tmp_path / "kg.graphml")
    again = nx.read_graphml(path)
    assert again.number_of_nodes() == g.number_of_nodes()
    data = json.loads(write_graph(g, tmp_path / "kg.json").read_text())
    assert len(data["nodes"]) == g.number_of_nodes()
