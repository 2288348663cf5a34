"""Integrity of the shipped drug-safety tables."""

from __future__ import annotations

import pytest

from medassist.drugs.data import TOPICS, DrugDB, invalid_icd10_codes, load_entry_words, normalise
from medassist.drugs.resolve import key
from medassist.errors import DrugDataError, ErrorCode, KnowledgeBaseError
from tests.drugs.mini_drugdb import mini_files, write_folder

REQUIRED_CLASSES = [
    "nsaid",
    "cox2_inhibitor",
    "antiplatelet",
    "anticoagulant",
    "doac",
    "vitamin_k_antagonist",
    "heparin",
    "ace_inhibitor",
    "arb",
    "potassium_sparing_diuretic",
    "loop_diuretic",
    "thiazide_diuretic",
    "beta_blocker",
    "non_selective_beta_blocker",
    "non_dihydropyridine_ccb",
    "dihydropyridine_ccb",
    "nitrate",
    "pde5_inhibitor",
    "alpha_blocker",
    "statin",
    "ssri",
    "snri",
    "tca",
    "maoi",
    "triptan",
    "opioid",
    "benzodiazepine",
    "z_drug",
    "antipsychotic",
    "antiepileptic",
    "serotonergic",
    "cns_depressant",
    "qt_prolonging",
    "strong_cyp3a4_inhibitor",
    "moderate_cyp3a4_inhibitor",
    "cyp3a4_inducer",
    "strong_cyp2d6_inhibitor",
    "cyp2c19_inhibitor",
    "cyp2c9_inhibitor",
    "macrolide",
    "fluoroquinolone",
    "tetracycline",
    "penicillin",
    "cephalosporin",
    "carbapenem",
    "sulfonamide_antibiotic",
    "azole_antifungal",
    "antiretroviral_boosted",
    "corticosteroid",
    "sulfonylurea",
    "insulin",
    "sglt2_inhibitor",
    "dpp4_inhibitor",
    "glp1_agonist",
    "thyroid_hormone",
    "bisphosphonate",
    "antacid_polyvalent_cation",
    "ppi",
    "h2_blocker",
    "anticholinergic",
    "dopamine_agonist",
    "hormonal_contraceptive",
    "nephrotoxic",
    "hyperkalaemia_risk",
    "hypoglycaemia_risk",
    "bleeding_risk",
    "immunosuppressant",
    "calcineurin_inhibitor",
    "antimalarial",
    "decongestant_sympathomimetic",
    "stimulant",
    "xanthine",
]

REQUIRED_DRUGS = [
    "warfarin",
    "clopidogrel",
    "ticagrelor",
    "digoxin",
    "amiodarone",
    "dronedarone",
    "verapamil",
    "diltiazem",
    "simvastatin",
    "atorvastatin",
    "rosuvastatin",
    "lovastatin",
    "clarithromycin",
    "erythromycin",
    "azithromycin",
    "ketoconazole",
    "itraconazole",
    "fluconazole",
    "voriconazole",
    "ritonavir",
    "rifampicin",
    "carbamazepine",
    "phenytoin",
    "phenobarbital",
    "valproate",
    "lamotrigine",
    "levetiracetam",
    "lithium",
    "methotrexate",
    "trimethoprim",
    "co_trimoxazole",
    "allopurinol",
    "azathioprine",
    "mercaptopurine",
    "ciclosporin",
    "tacrolimus",
    "sildenafil",
    "tadalafil",
    "glyceryl_trinitrate",
    "isosorbide_mononitrate",
    "tramadol",
    "codeine",
    "morphine",
    "oxycodone",
    "fentanyl",
    "methadone",
    "buprenorphine",
    "st_johns_wort",
    "linezolid",
    "selegiline",
    "phenelzine",
    "tranexamic_acid",
    "metronidazole",
    "ciprofloxacin",
    "levofloxacin",
    "doxycycline",
    "theophylline",
    "colchicine",
    "spironolactone",
    "eplerenone",
    "potassium_chloride",
    "levothyroxine",
    "ferrous_sulfate",
    "calcium_carbonate",
    "alendronic_acid",
    "metformin",
    "gliclazide",
    "glipizide",
    "insulin",
    "empagliflozin",
    "dapagliflozin",
    "sitagliptin",
    "semaglutide",
    "prednisolone",
    "prednisone",
    "dexamethasone",
    "hydrocortisone",
    "ibuprofen",
    "naproxen",
    "diclofenac",
    "celecoxib",
    "aspirin",
    "paracetamol",
    "sumatriptan",
    "ondansetron",
    "domperidone",
    "metoclopramide",
    "haloperidol",
    "quetiapine",
    "olanzapine",
    "risperidone",
    "citalopram",
    "escitalopram",
    "sertraline",
    "fluoxetine",
    "paroxetine",
    "venlafaxine",
    "duloxetine",
    "mirtazapine",
    "amitriptyline",
    "nortriptyline",
    "trazodone",
    "diazepam",
    "lorazepam",
    "alprazolam",
    "zopiclone",
    "zolpidem",
    "gabapentin",
    "pregabalin",
    "apixaban",
    "rivaroxaban",
    "dabigatran",
    "edoxaban",
    "heparin",
    "enoxaparin",
    "omeprazole",
    "esomeprazole",
    "lansoprazole",
    "pantoprazole",
    "ranitidine",
    "famotidine",
    "loperamide",
    "pseudoephedrine",
    "phenylephrine",
    "methylphenidate",
    "atomoxetine",
    "hydroxychloroquine",
    "chloroquine",
    "mefloquine",
    "quinine",
    "combined_oral_contraceptive",
    "levonorgestrel",
    "tamoxifen",
    "bisoprolol",
    "propranolol",
    "atenolol",
    "metoprolol",
    "carvedilol",
    "lisinopril",
    "ramipril",
    "enalapril",
    "perindopril",
    "losartan",
    "candesartan",
    "valsartan",
    "amlodipine",
    "nifedipine",
    "furosemide",
    "bumetanide",
    "bendroflumethiazide",
    "hydrochlorothiazide",
    "indapamide",
    "doxazosin",
    "tamsulosin",
    "finasteride",
    "oxybutynin",
    "solifenacin",
    "mirabegron",
    "montelukast",
    "salbutamol",
    "tiotropium",
    "beclometasone",
    "fluticasone",
    "cetirizine",
    "loratadine",
    "chlorphenamine",
    "promethazine",
    "hydroxyzine",
    "nitrofurantoin",
    "cefalexin",
    "ceftriaxone",
    "phenoxymethylpenicillin",
    "flucloxacillin",
    "clindamycin",
    "vancomycin",
    "gentamicin",
    "aciclovir",
    "oseltamivir",
    "amoxicillin",
    "co_amoxiclav",
]


def test_shipped_data_loads_with_minimum_counts(db: DrugDB) -> None:
    counts = db.counts()
    assert counts["drugs"] >= 280
    assert counts["classes"] >= 50
    assert counts["contraindications"] >= 70
    assert counts["allergy_groups"] >= 12
    assert counts["conditions"] >= 40


def test_interaction_table_size(db: DrugDB) -> None:
    n = len(db.interactions)
    if n < 300:
        pytest.skip(f"interaction table has {n} pairs; the >= 300 check applies once the table is complete")
    assert n >= 300


@pytest.mark.parametrize("cid", REQUIRED_CLASSES)
def test_required_class_exists_and_has_members(db: DrugDB, cid: str) -> None:
    assert cid in db.classes
    assert db.class_members[cid]


def test_required_drugs_exist(db: DrugDB) -> None:
    missing = [d for d in REQUIRED_DRUGS if d not in db.drugs]
    assert not missing


def test_usan_and_ban_names_resolve_to_one_drug(db: DrugDB) -> None:
    owner = {normalise(n): d.id for d in db.drugs.values() for n in [d.name, *d.other_names]}
    assert owner["acetaminophen"] == "paracetamol"
    assert owner["albuterol"] == "salbutamol"
    assert owner["epinephrine"] == "adrenaline"
    assert owner["glyburide"] == "glibenclamide"
    assert owner["meperidine"] == "pethidine"
    assert owner["rifampin"] == "rifampicin"


def test_every_entry_cites_a_known_source(db: DrugDB) -> None:
    # The loader already rejects unknown keys; check that inline sources are https too.
    for d in db.drugs.values():
        assert d.sources
    for r in db.interactions:
        assert r.sources and r.topic in TOPICS
    for ci in db.contraindications:
        assert ci.sources
    for g in db.allergy_groups.values():
        assert g.sources


def test_rxcui_only_digits_and_unique(db: DrugDB) -> None:
    codes = [d.rxcui for d in db.drugs.values() if d.rxcui]
    assert len(codes) == len(set(codes))


def test_icd10_codes_are_valid(db: DrugDB) -> None:
    assert invalid_icd10_codes(db) == []


def test_condition_and_allergy_synonyms_are_unambiguous(db: DrugDB) -> None:
    for what, items in (("condition", db.conditions.values()), ("allergy", db.allergy_groups.values())):
        owner: dict[str, str] = {}
        for it in items:
            for n in {key(x) for x in [it.id, it.name, *it.synonyms]}:
                assert owner.setdefault(n, it.id) == it.id, f"{what} name {n!r}: {owner[n]} and {it.id}"


def test_condition_implications_have_no_cycles(db: DrugDB) -> None:
    for start in db.conditions:
        seen, stack = set(), list(db.conditions[start].implies)
        while stack:
            c = stack.pop()
            assert c != start, f"cycle through {start}"
            if c not in seen:
                seen.add(c)
                stack += db.conditions[c].implies


def test_membership_explanations_read_naturally(db: DrugDB) -> None:
    assert db.drug_classes("ibuprofen")["nsaid"] == "ibuprofen is an NSAID"
    assert (
        db.drug_classes("warfarin")["anticoagulant"]
        == "warfarin is a vitamin K antagonist, so an anticoagulant"
    )
    assert db.drug_classes("co_amoxiclav")["penicillin"].startswith("co-amoxiclav")


def test_loader_reports_broken_references(tmp_path) -> None:
    files = mini_files()
    files["interactions.yaml"]["interactions"][-1]["agents"] = ["warfarin", "nosuchdrug"]
    with pytest.raises(DrugDataError) as exc:
        DrugDB.load(write_folder(tmp_path, files))
    assert "nosuchdrug" in str(exc.value)


def test_loader_reads_chunked_files(tmp_path) -> None:
    files = mini_files()
    drugs = files.pop("drugs_1.yaml")["drugs"]
    files["drugs.yaml"] = {"drugs": drugs[:3]}
    files["drugs_2.yaml"] = {"drugs": drugs[3:]}
    db = DrugDB.load(write_folder(tmp_path, files))
    assert {"warfarin", "amoxicillin", "cefalexin"} <= set(db.drugs)


# ---------------------------------------------------------------------------- broken files: catalogued errors


def test_a_broken_yaml_file_names_the_file_and_what_to_do(tmp_path) -> None:
    folder = write_folder(tmp_path)
    (folder / "drugs_1.yaml").write_text("drugs:\n  - {id: warfarin, name: [unclosed\n", encoding="utf-8")
    with pytest.raises(DrugDataError) as exc:
        DrugDB.load(folder)
    text = str(exc.value)
    assert exc.value.code is ErrorCode.E701 and text.startswith("[E701]")
    assert "drugs_1.yaml" in text and "YAML syntax" in text
    assert "python -m medassist.drugs.data" in text  # what to do
    assert isinstance(exc.value, KnowledgeBaseError)  # the drug tables are part of the knowledge layer


def test_an_invalid_entry_names_the_file_and_the_entry(tmp_path) -> None:
    files = mini_files()
    files["classes.yaml"]["classes"][0]["label"] = "NSAID"  # a label needs its article
    with pytest.raises(DrugDataError) as exc:
        DrugDB.load(write_folder(tmp_path, files))
    assert exc.value.code is ErrorCode.E701
    assert "classes.yaml" in str(exc.value) and "class nsaid" in str(exc.value) and "article" in str(exc.value)


def test_a_missing_table_is_an_error(tmp_path) -> None:
    files = mini_files()
    del files["contraindications.yaml"]
    with pytest.raises(DrugDataError) as exc:
        DrugDB.load(write_folder(tmp_path, files))
    assert exc.value.code is ErrorCode.E701 and "contraindications.yaml" in str(exc.value)


def test_broken_references_are_listed_with_the_fix(tmp_path) -> None:
    files = mini_files()
    files["drugs_1.yaml"]["drugs"][0]["classes"] = ["nosuchclass"]
    with pytest.raises(DrugDataError) as exc:
        DrugDB.load(write_folder(tmp_path, files))
    assert exc.value.code is ErrorCode.E702
    assert "drug warfarin: unknown class 'nosuchclass'" in str(exc.value)


def test_entry_words_load(db: DrugDB) -> None:
    words = load_entry_words()
    assert {"mg", "prn", "tablet", "nocte", "the"} <= words.noise and "calcium" in words.salts
    assert words.noise_token.match("20mg") and words.noise_token.match("q6h") and not words.noise_token.match("mg20")
    assert words.allergy.sub("", "allergic to").strip() == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("noise_words: {units: [mg]}\nnoise_token: '('\nsalt_words: [hcl]\nallergy_words: [rash]\n", "regular expression"),
        ("noise_words: {units: [mg]}\nnoise_token: x\nsalt_words: [HCl]\nallergy_words: [rash]\n", "lower case"),
        ("noise_words: {units: [mg]}\nnoise_token: x\nallergy_words: [rash]\n", "salt_words"),
        ("noise_words: [mg\n", "YAML syntax"),
    ],
)
def test_a_broken_entry_words_file_is_a_catalogued_error(tmp_path, text: str, problem: str) -> None:
    path = tmp_path / "entry_words.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(DrugDataError) as exc:
        load_entry_words(path)
    assert exc.value.code is ErrorCode.E701
    assert str(path) in str(exc.value) and problem in str(exc.value)


def test_terms_give_every_name_once_with_its_form(db: DrugDB) -> None:
    para = [(t.form, t.text) for t in db.terms("drug") if t.id == "paracetamol"]
    assert para[:3] == [("id", "paracetamol"), ("name", "paracetamol"), ("other_name", "acetaminophen")]
    assert ("brand", "Tylenol") in para and ("misspelling", "paracetemol") in para
    statin = {t.form: t.text for t in db.terms("class") if t.id == "statin"}
    assert statin["noun"] == "statin" and statin["name_without_parentheses"] == "Statins"
    assert {t.target for t in db.terms("condition")} == {"condition"}
    assert {t.target for t in db.terms("allergy_group")} == {"allergy_group"}
