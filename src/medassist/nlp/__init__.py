"""Clinical notes: de-identification, sections, entities, assertion, normalization, medications.

Every component here is a plain callable ``Note -> Note`` made by a factory registered in
``medassist.registry.COMPONENTS``; nothing heavy is imported until a factory runs.

    nlp = medassist.load()                 # configs/pipeline.yaml
    note = nlp("Pt denies chest pain. HTN on lisinopril 10 mg daily.")

The curated word lists and rule files they read are the vocabularies of ``medassist.knowledge.terms``.
"""
