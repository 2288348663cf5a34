"""Text generation, kept safe: note summaries and plain-language explanations.

The extractive path (no model) is the default and always works.  A generation backend
(:mod:`medassist.generate.backends`: in-process ``llama_cpp`` on a GGUF file, or any OpenAI-compatible HTTP
server) only rewrites facts the pipeline already extracted into prose, and every sentence it writes goes
through the grounding check (:mod:`medassist.generate.grounding`) before anyone reads it.  Nothing here is
imported by ``import medassist``; nothing here imports the service or training.
"""
