"""One recognizer per kind of identifier; their patterns are data (``knowledge/data/deid/patterns.yaml``)."""

from medassist.nlp.deid.recognizers.ages import AgeRecognizer
from medassist.nlp.deid.recognizers.base import Context, Recognizer
from medassist.nlp.deid.recognizers.contact import PhoneRecognizer
from medassist.nlp.deid.recognizers.dates import DateRecognizer
from medassist.nlp.deid.recognizers.names import NameRecognizer
from medassist.nlp.deid.recognizers.numbers import IdRecognizer, SsnRecognizer
from medassist.nlp.deid.recognizers.places import PlaceRecognizer
from medassist.nlp.deid.recognizers.web import WebRecognizer

__all__ = ["AgeRecognizer", "Context", "DateRecognizer", "IdRecognizer", "NameRecognizer", "PhoneRecognizer",
           "PlaceRecognizer", "Recognizer", "SsnRecognizer", "WebRecognizer"]
