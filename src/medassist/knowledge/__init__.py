"""The medical knowledge base: versioned YAML data files and their typed loader."""

from medassist.knowledge.kb import KnowledgeBase, age_band

__all__ = ["KnowledgeBase", "age_band"]
