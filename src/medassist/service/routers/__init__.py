"""One router per resource: auth, users, consultations, reviews, notes, medications, knowledge, audit, health."""
