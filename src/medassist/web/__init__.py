"""The pages people use, served by the service: sign-in, patient intake and interview, result, review queue.

Plain HTML, one stylesheet and one small vanilla JavaScript file in ``static/``; no build step.
"""

from __future__ import annotations

from pathlib import Path

STATIC_DIR = Path(__file__).resolve().parent / "static"
# URL path -> page file
PAGES = {"/": "index.html", "/patient": "patient.html", "/result": "result.html", "/review": "review.html", "/health": "health.html"}
