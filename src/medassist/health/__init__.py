"""Personalised health management: a patient record, published risk scores, prevention due (screening and
vaccinations), a medication review and a plan the patient can follow.

Every score, screening rule and vaccine rule is sourced data in ``medassist/knowledge/data/health/``; a value
the record does not hold is named as missing, never guessed.
"""
