"""The medical knowledge base: versioned YAML data files and their typed loader; the curated vocabularies
(word lists, term tables, rule files) are read by ``medassist.knowledge.terms``."""

from medassist.knowledge.kb import KnowledgeBase, age_band

__all__ = ["KnowledgeBase", "age_band"]
