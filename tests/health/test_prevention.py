"""Prevention due: every screening and vaccine rule on both sides of each of its age, sex and risk
boundaries, the wording of a reason, and the sources behind every rule."""

from __future__ import annotations

import datetime as dt

import pytest

from medassist.errors import KnowledgeBaseError
from medassist.health import _tables
from medassist.health.prevention import due_items, summary
from medassist.health.record import PatientRecord

AS_OF = dt.date(2025, 10, 15)  # October: inside the flu season that began on July 1 and the RSV-in-pregnancy months


def ago(days: int = 0, years: int = 0) -> str:
    return (AS_OF.replace(year=AS_OF.year - years) - dt.timedelta(days=days)).isoformat()


def rec(age: int | None, sex: str | None = None, **kw) -> PatientRecord:
    kw.setdefault("smoking", "never")
    return PatientRecord(as_of=AS_OF, age=age, sex=sex, **kw)


def item(rule_id: str, record: PatientRecord, **kw):
    return next(i for i in due_items(record, **kw) if i.id == rule_id)


F, M = "female", "male"
NA, DUE, OVERDUE, OK, INFO = "not_applicable", "due", "overdue", "up_to_date", "needs_information"

CASES = [
    # rule id, record, keyword arguments for due_items, expected status
    ("hypertension_screening_40", rec(39), {}, NA),
    ("hypertension_screening_40", rec(40), {}, DUE),
    ("hypertension_screening_40", rec(45), {}, OVERDUE),
    ("hypertension_screening_40", rec(45, conditions=["hypertension"]), {}, NA),
    ("hypertension_screening_40", rec(45, vitals={"systolic_bp": {"value": 128, "date": ago(300)}}), {}, OK),
    ("hypertension_screening_40", rec(45, vitals={"systolic_bp": {"value": 128, "date": ago(400)}}), {}, OVERDUE),
    ("hypertension_screening_18_39", rec(17), {}, NA),
    ("hypertension_screening_18_39", rec(18), {}, DUE),
    ("hypertension_screening_18_39", rec(39, history=[{"test": "bp check", "date": ago(years=2)}]), {}, OK),
    ("hypertension_screening_18_39", rec(40), {}, NA),
    ("cardiovascular_risk_assessment", rec(39), {}, NA),
    ("cardiovascular_risk_assessment", rec(40), {}, DUE),
    ("cardiovascular_risk_assessment", rec(75, labs={"ldl": {"value": 120, "date": ago(years=4)}}), {}, OK),
    ("cardiovascular_risk_assessment", rec(76), {}, NA),
    ("cardiovascular_risk_assessment", rec(50, conditions=["CAD"]), {}, NA),
    ("statin_primary_prevention", rec(40, conditions=["htn"]), {"ascvd_10y": 10}, DUE),
    ("statin_primary_prevention", rec(40, conditions=["htn"]), {"ascvd_10y": 9.9}, NA),
    ("statin_primary_prevention", rec(40, conditions=["htn"]), {}, INFO),
    ("statin_primary_prevention", rec(39, conditions=["htn"]), {"ascvd_10y": 15}, NA),
    ("statin_primary_prevention", rec(75, conditions=["htn"]), {"ascvd_10y": 15}, DUE),
    ("statin_primary_prevention", rec(76, conditions=["htn"]), {"ascvd_10y": 15}, NA),
    ("statin_primary_prevention", rec(50, labs={"ldl": 131, "hdl": 50}), {"ascvd_10y": 12}, DUE),
    ("statin_primary_prevention", rec(50, labs={"ldl": 130, "hdl": 50}), {"ascvd_10y": 12}, NA),
    ("statin_primary_prevention", rec(50, labs={"ldl": 100, "hdl": 39}), {"ascvd_10y": 12}, DUE),
    ("statin_primary_prevention", rec(50, smoking="current", labs={"ldl": 100, "hdl": 60}), {"ascvd_10y": 12}, DUE),
    ("statin_primary_prevention", rec(50, conditions=["htn"], medications=["Atorvastatin 20 mg"]),
     {"ascvd_10y": 12}, NA),
    ("statin_primary_prevention", rec(50, conditions=["htn", "stroke"]), {"ascvd_10y": 12}, NA),
    ("diabetes_screening", rec(34, vitals={"bmi": 30}), {}, NA),
    ("diabetes_screening", rec(35, vitals={"bmi": 25}), {}, DUE),
    ("diabetes_screening", rec(35, vitals={"bmi": 24.9}), {}, NA),
    ("diabetes_screening", rec(50), {}, INFO),
    ("diabetes_screening", rec(50, conditions=["obesity"]), {}, OVERDUE),
    ("diabetes_screening", rec(70, vitals={"weight_kg": 90, "height_cm": 170},
                               labs={"hba1c": {"value": 5.4, "date": ago(years=1)}}), {}, OK),
    ("diabetes_screening", rec(71, vitals={"bmi": 30}), {}, NA),
    ("diabetes_screening", rec(50, vitals={"bmi": 30}, conditions=["T2DM"]), {}, NA),
    ("colorectal_cancer", rec(44), {}, NA),
    ("colorectal_cancer", rec(45), {}, DUE),
    ("colorectal_cancer", rec(75), {}, OVERDUE),
    ("colorectal_cancer", rec(76), {}, NA),
    ("colorectal_cancer", rec(60, history=[{"test": "colonoscopy", "date": ago(years=9)}]), {}, OK),
    ("colorectal_cancer", rec(60, history=[{"test": "colonoscopy", "date": ago(years=11)}]), {}, OVERDUE),
    ("colorectal_cancer", rec(60, history=[{"test": "FIT", "date": ago(200)}]), {}, OK),
    ("colorectal_cancer", rec(60, conditions=["colon cancer"]), {}, NA),
    ("cervical_cancer_21_29", rec(20, F), {}, NA),
    ("cervical_cancer_21_29", rec(21, F), {}, DUE),
    ("cervical_cancer_21_29", rec(29, F, history=[{"test": "pap smear", "date": ago(years=2)}]), {}, OK),
    ("cervical_cancer_21_29", rec(25, M), {}, NA),
    ("cervical_cancer_21_29", rec(25), {}, INFO),
    ("cervical_cancer_21_29", rec(30, F), {}, NA),
    ("cervical_cancer_30_65", rec(29, F), {}, NA),
    ("cervical_cancer_30_65", rec(30, F), {}, DUE),
    ("cervical_cancer_30_65", rec(65, F, history=[{"test": "hpv test", "date": ago(years=4)}]), {}, OK),
    ("cervical_cancer_30_65", rec(50, F, history=[{"test": "pap", "date": ago(years=4)}]), {}, OVERDUE),
    ("cervical_cancer_30_65", rec(50, F, conditions=["Z90.710"]), {}, NA),
    ("cervical_cancer_30_65", rec(66, F), {}, NA),
    ("breast_cancer", rec(39, F), {}, NA),
    ("breast_cancer", rec(40, F), {}, DUE),
    ("breast_cancer", rec(74, F, history=[{"test": "mammogram", "date": ago(years=1)}]), {}, OK),
    ("breast_cancer", rec(60, F, history=[{"test": "mammogram", "date": ago(years=3)}]), {}, OVERDUE),
    ("breast_cancer", rec(75, F), {}, NA),
    ("breast_cancer", rec(50, M), {}, NA),
    ("lung_cancer", rec(50, smoking="current", pack_years=20), {}, DUE),
    ("lung_cancer", rec(50, smoking="current", pack_years=19), {}, NA),
    ("lung_cancer", rec(49, smoking="current", pack_years=30), {}, NA),
    ("lung_cancer", rec(80, smoking="current", pack_years=30, history=[{"test": "LDCT", "date": ago(100)}]), {}, OK),
    ("lung_cancer", rec(81, smoking="current", pack_years=30), {}, NA),
    ("lung_cancer", rec(60, smoking="former", pack_years=30, years_since_quit=15), {}, OVERDUE),
    ("lung_cancer", rec(60, smoking="former", pack_years=30, years_since_quit=16), {}, NA),
    ("lung_cancer", rec(60, smoking="former", pack_years=30), {}, INFO),
    ("lung_cancer", rec(60, smoking="current"), {}, INFO),
    ("lung_cancer", rec(60, smoking=None, pack_years=30), {}, INFO),
    ("lung_cancer", rec(60, smoking="never"), {}, NA),
    ("abdominal_aortic_aneurysm", rec(64, M, smoking="former"), {}, NA),
    ("abdominal_aortic_aneurysm", rec(65, M, smoking="former"), {}, DUE),
    ("abdominal_aortic_aneurysm", rec(75, M, smoking="current"), {}, DUE),
    ("abdominal_aortic_aneurysm", rec(76, M, smoking="current"), {}, NA),
    ("abdominal_aortic_aneurysm", rec(70, M, smoking="never"), {}, NA),
    ("abdominal_aortic_aneurysm", rec(70, M, smoking=None), {}, INFO),
    ("abdominal_aortic_aneurysm", rec(70, F, smoking="current"), {}, NA),
    ("abdominal_aortic_aneurysm", rec(70, M, smoking="former", history=[{"test": "aaa ultrasound", "date": ago(years=4)}]),
     {}, OK),
    ("osteoporosis_65", rec(64, F), {}, NA),
    ("osteoporosis_65", rec(65, F), {}, DUE),
    ("osteoporosis_65", rec(70, F, history=[{"test": "DEXA scan", "date": ago(years=8)}]), {}, OK),
    ("osteoporosis_65", rec(70, M), {}, NA),
    ("osteoporosis_65", rec(70, F, conditions=["osteoporosis"]), {}, NA),
    ("osteoporosis_postmenopausal", rec(60, F, conditions=["postmenopausal", "prior fracture"]), {}, DUE),
    ("osteoporosis_postmenopausal", rec(60, F, conditions=["postmenopausal"], vitals={"bmi": 19.9}), {}, DUE),
    ("osteoporosis_postmenopausal", rec(60, F, conditions=["postmenopausal"], vitals={"bmi": 20}), {}, NA),
    ("osteoporosis_postmenopausal", rec(60, F, conditions=["postmenopausal"]), {}, INFO),
    ("osteoporosis_postmenopausal", rec(60, F, conditions=["prior fracture"]), {}, NA),
    ("osteoporosis_postmenopausal", rec(65, F, conditions=["postmenopausal", "prior fracture"]), {}, NA),
    ("osteoporosis_postmenopausal", rec(55, F, conditions=["menopause"], family_history=["hip fracture:mother"],
                                        vitals={"bmi": 24}), {}, DUE),
    ("hiv_screening", rec(14), {}, NA),
    ("hiv_screening", rec(15), {}, DUE),
    ("hiv_screening", rec(65, history=[{"test": "hiv test", "date": ago(years=20)}]), {}, OK),
    ("hiv_screening", rec(66), {}, NA),
    ("hiv_screening", rec(30, conditions=["HIV"]), {}, NA),
    ("hepatitis_c_screening", rec(17), {}, NA),
    ("hepatitis_c_screening", rec(18), {}, DUE),
    ("hepatitis_c_screening", rec(79, history=[{"test": "hepatitis c test"}]), {}, OK),
    ("hepatitis_c_screening", rec(80), {}, NA),
    ("depression_screening", rec(17), {}, NA),
    ("depression_screening", rec(18), {}, DUE),
    ("depression_screening", rec(40, conditions=["depression"]), {}, NA),
    ("falls_prevention", rec(64, conditions=["history of falls"]), {}, NA),
    ("falls_prevention", rec(65, conditions=["history of falls"]), {}, DUE),
    ("falls_prevention", rec(65), {}, NA),
    # vaccines
    ("influenza", rec(18), {}, NA),
    ("influenza", rec(19), {}, DUE),
    ("influenza", rec(50, history=[{"vaccine": "flu shot", "date": "2025-09-20"}]), {}, OK),
    ("influenza", rec(50, history=[{"vaccine": "flu shot", "date": "2025-06-20"}]), {}, DUE),
    ("covid19", rec(18), {}, NA),
    ("covid19", rec(19, history=[{"vaccine": "Comirnaty", "date": "2025-08-02"}]), {}, OK),
    ("covid19", rec(19, history=[{"vaccine": "covid-19", "date": "2025-07-30"}]), {}, DUE),
    ("tdap_once", rec(18), {}, NA),
    ("tdap_once", rec(19), {}, DUE),
    ("tdap_once", rec(40, history=[{"vaccine": "Boostrix", "date": "2001-01-01"}]), {}, OK),
    ("td_tdap_booster", rec(18), {}, NA),
    ("td_tdap_booster", rec(19), {}, DUE),
    ("td_tdap_booster", rec(40), {}, OVERDUE),
    ("td_tdap_booster", rec(40, history=[{"vaccine": "td", "date": ago(years=9)}]), {}, OK),
    ("td_tdap_booster", rec(40, history=[{"vaccine": "tdap", "date": ago(years=11)}]), {}, OVERDUE),
    ("td_tdap_booster", rec(40, history=[{"vaccine": "tetanus"}]), {}, INFO),
    ("tdap_pregnancy", rec(30, F, pregnant=True), {}, DUE),
    ("tdap_pregnancy", rec(30, F, conditions=["pregnant"]), {}, DUE),
    ("tdap_pregnancy", rec(30, F, pregnant=True, history=[{"vaccine": "tdap", "date": ago(100)}]), {}, OK),
    ("tdap_pregnancy", rec(30, F, pregnant=True, history=[{"vaccine": "tdap", "date": ago(400)}]), {}, DUE),
    ("tdap_pregnancy", rec(30, F, pregnant=False), {}, NA),
    ("tdap_pregnancy", rec(30, F), {}, INFO),
    ("tdap_pregnancy", rec(30, M), {}, NA),
    ("tdap_pregnancy", rec(18, F, pregnant=True), {}, NA),
    ("zoster_50", rec(49), {}, NA),
    ("zoster_50", rec(50), {}, DUE),
    ("zoster_50", rec(60, history=[{"vaccine": "shingrix", "date": ago(30)}]), {}, OK),
    ("zoster_50", rec(60, history=[{"vaccine": "shingrix", "date": ago(90)}]), {}, DUE),
    ("zoster_50", rec(60, history=[{"vaccine": "shingrix", "date": ago(300)}, {"vaccine": "RZV", "date": ago(200)}]),
     {}, OK),
    ("zoster_50", rec(60, history=[{"vaccine": "zostavax", "date": ago(years=8)}]), {}, DUE),
    ("zoster_19_49_immunocompromised", rec(30, conditions=["kidney transplant"]), {}, DUE),
    ("zoster_19_49_immunocompromised", rec(30, conditions=["HIV"]), {}, DUE),
    ("zoster_19_49_immunocompromised", rec(30), {}, NA),
    ("zoster_19_49_immunocompromised", rec(18, conditions=["immunosuppressed"]), {}, NA),
    ("zoster_19_49_immunocompromised", rec(50, conditions=["immunosuppressed"]), {}, NA),
    ("pneumococcal_50", rec(49), {}, NA),
    ("pneumococcal_50", rec(50), {}, DUE),
    ("pneumococcal_50", rec(70, history=[{"vaccine": "PCV20", "date": ago(years=1)}]), {}, OK),
    ("pneumococcal_50", rec(70, history=[{"vaccine": "capvaxive", "date": ago(years=1)}]), {}, OK),
    ("pneumococcal_50", rec(70, history=[{"vaccine": "pcv15", "date": ago(years=2)},
                                         {"vaccine": "pneumovax 23", "date": ago(years=1)}]), {}, OK),
    ("pneumococcal_50", rec(70, history=[{"vaccine": "prevnar 13", "date": ago(years=5)}]), {}, DUE),
    ("pneumococcal_19_49_risk", rec(30, conditions=["diabetes"]), {}, DUE),
    ("pneumococcal_19_49_risk", rec(30, smoking="current"), {}, DUE),
    ("pneumococcal_19_49_risk", rec(30), {}, NA),
    ("pneumococcal_19_49_risk", rec(30, smoking=None), {}, INFO),
    ("pneumococcal_19_49_risk", rec(18, conditions=["asthma"]), {}, NA),
    ("pneumococcal_19_49_risk", rec(50, conditions=["asthma"]), {}, NA),
    ("hpv_19_26", rec(18), {}, NA),
    ("hpv_19_26", rec(19), {}, DUE),
    ("hpv_19_26", rec(26, history=[{"vaccine": "gardasil 9", "date": ago(years=y)} for y in (3, 2, 1)]), {}, OK),
    ("hpv_19_26", PatientRecord(as_of=AS_OF, birth_date="2000-01-01", history=[
        {"vaccine": "hpv", "date": "2012-03-01"}, {"vaccine": "hpv", "date": "2012-10-01"}]), {}, OK),
    ("hpv_19_26", PatientRecord(as_of=AS_OF, birth_date="2000-01-01", history=[
        {"vaccine": "hpv", "date": "2020-03-01"}, {"vaccine": "hpv", "date": "2020-10-01"}]), {}, DUE),
    ("hpv_19_26", rec(27), {}, NA),
    ("hpv_27_45", rec(26), {}, NA),
    ("hpv_27_45", rec(27), {}, DUE),
    ("hpv_27_45", rec(45), {}, DUE),
    ("hpv_27_45", rec(46), {}, NA),
    ("hepatitis_b_19_59", rec(18), {}, NA),
    ("hepatitis_b_19_59", rec(19), {}, DUE),
    ("hepatitis_b_19_59", rec(59, history=[{"vaccine": "heplisav-b", "date": ago(100)},
                                           {"vaccine": "heplisav-b", "date": ago(60)}]), {}, OK),
    ("hepatitis_b_19_59", rec(40, history=[{"vaccine": "engerix-b", "date": ago(100)},
                                           {"vaccine": "engerix-b", "date": ago(60)}]), {}, DUE),
    ("hepatitis_b_19_59", rec(40, conditions=["chronic hepatitis b"]), {}, NA),
    ("hepatitis_b_19_59", rec(60), {}, NA),
    ("hepatitis_b_60_risk", rec(59, conditions=["hiv"]), {}, NA),
    ("hepatitis_b_60_risk", rec(60, conditions=["hiv"]), {}, DUE),
    ("hepatitis_b_60_risk", rec(60, conditions=["cirrhosis"]), {}, DUE),
    ("hepatitis_b_60_risk", rec(60), {}, NA),
    ("rsv_75", rec(74), {}, NA),
    ("rsv_75", rec(75), {}, DUE),
    ("rsv_75", rec(80, history=[{"vaccine": "arexvy", "date": ago(years=1)}]), {}, OK),
    ("rsv_60_74_risk", rec(59, conditions=["copd"]), {}, NA),
    ("rsv_60_74_risk", rec(60, conditions=["copd"]), {}, DUE),
    ("rsv_60_74_risk", rec(74, conditions=["heart failure"]), {}, DUE),
    ("rsv_60_74_risk", rec(75, conditions=["copd"]), {}, NA),
    ("rsv_60_74_risk", rec(65, vitals={"bmi": 40}), {}, DUE),
    ("rsv_60_74_risk", rec(65, vitals={"bmi": 39.9}), {}, NA),
    ("rsv_60_74_risk", rec(65), {}, INFO),
    ("rsv_pregnancy", rec(30, F, pregnant=True), {}, DUE),
    ("rsv_pregnancy", PatientRecord(as_of=dt.date(2025, 3, 15), age=30, sex=F, pregnant=True), {}, NA),
    ("rsv_pregnancy", rec(30, F, pregnant=True, history=[{"vaccine": "abrysvo", "date": "2023-10-01"}]), {}, OK),
    ("rsv_pregnancy", rec(30, F, pregnant=False), {}, NA),
    ("rsv_pregnancy", rec(30, M), {}, NA),
]


@pytest.mark.parametrize(("rule_id", "record", "kwargs", "expected"), CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_rule_boundaries(rule_id, record, kwargs, expected):
    got = item(rule_id, record, **kwargs)
    assert got.status == expected, got.reason


def test_every_rule_has_cases_on_both_sides():
    rules = {r.id for r in _tables.screening_table().rules} | {r.id for r in _tables.vaccine_table().rules}
    sides: dict[str, set[bool]] = {}
    for rule_id, _, _, expected in CASES:
        sides.setdefault(rule_id, set()).add(expected == NA)
    assert rules == set(sides), f"rules without cases: {sorted(rules - set(sides))}"
    one_sided = [r for r, s in sides.items() if s != {True, False}]
    assert not one_sided, f"rules tested on one side only: {one_sided}"


def test_reason_names_the_rule_the_last_test_and_when_it_became_overdue():
    r = PatientRecord(as_of=dt.date(2025, 6, 1), age=55, sex="female",
                      history=[{"test": "mammogram", "date": "2021-03-02"}])
    got = item("breast_cancer", r)
    assert got.status == "overdue"
    assert got.reason == "women 40-74: mammogram every 2 years; last mammogram 2021-03-02, so overdue since 2023-03-02"
    assert got.due_date == dt.date(2023, 3, 2) and got.last_done == dt.date(2021, 3, 2)
    d = got.to_dict()
    assert d["due_date"] == "2023-03-02" and d["source"]["grade"] == "B" and d["source"]["date"] == "2024-04-30"
    assert d["source"]["url"].startswith("https://www.uspreventiveservicestaskforce.org/")


def test_needs_information_names_what_is_missing():
    lung = item("lung_cancer", rec(60, smoking="former", pack_years=None))
    assert lung.status == "needs_information"
    assert "pack_years" in lung.missing and "years_since_quit" in lung.missing
    statin = item("statin_primary_prevention", rec(50, conditions=["hypertension"]))
    assert statin.status == "needs_information" and any("ascvd_10y" in m for m in statin.missing)
    unknown_age = due_items(PatientRecord(as_of=AS_OF))
    assert {i.status for i in unknown_age} == {"needs_information"}
    assert all(i.missing == ("age",) for i in unknown_age)


def test_never_done_becomes_overdue_only_after_one_interval_of_eligibility():
    # eligible since the 45th birthday; colonoscopy's 10 years are the longest interval of the rule
    on_time = PatientRecord(as_of=AS_OF, birth_date=AS_OF.replace(year=AS_OF.year - 55))
    late = PatientRecord(as_of=AS_OF, birth_date=AS_OF.replace(year=AS_OF.year - 55) - dt.timedelta(days=1))
    assert item("colorectal_cancer", on_time).status == "due"
    assert item("colorectal_cancer", late).status == "overdue"


def test_shared_decision_is_said_and_summary_groups_by_status():
    hpv = item("hpv_27_45", rec(30))
    assert hpv.basis == "shared clinical decision-making" and hpv.reason.startswith("shared decision")
    groups = summary(due_items(rec(30, F)))
    assert set(groups) == {"due", "overdue", "up_to_date", "not_applicable", "needs_information"}
    assert "hpv_27_45" in groups["due"] and "breast_cancer" in groups["not_applicable"]


def test_every_rule_has_a_source_with_url_and_date():
    screening, vaccines = _tables.screening_table(), _tables.vaccine_table()
    for table in (screening, vaccines):
        for rule in table.rules:
            source = table.sources[rule.source]
            assert source.url.startswith("https://") and source.title and source.date, rule.id
    for rule in screening.rules:
        assert screening.sources[rule.source].grade in ("A", "B") or "B" in screening.sources[rule.source].grade


def test_a_malformed_rule_file_stops_with_e301(tmp_path, monkeypatch):
    good = (_tables.DATA / "screening.yaml").read_text(encoding="utf-8")
    (tmp_path / "screening.yaml").write_text(good.replace("source: uspstf_breast_2024", "source: nowhere"),
                                             encoding="utf-8")
    for name in ("conditions.yaml", "loinc.yaml", "cvx.yaml"):
        (tmp_path / name).write_text((_tables.DATA / name).read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(_tables, "DATA", tmp_path)
    _tables.screening_table.cache_clear()
    try:
        with pytest.raises(KnowledgeBaseError, match=r"E301.*breast_cancer: unknown source 'nowhere'"):
            _tables.screening_table()
        (tmp_path / "screening.yaml").write_text("rules: [1, 2", encoding="utf-8")
        _tables.screening_table.cache_clear()
        with pytest.raises(KnowledgeBaseError, match="E301"):
            _tables.screening_table()
        (tmp_path / "screening.yaml").write_text(good.replace("min_age: 45\n", "min_age: forty-five\n"),
                                                 encoding="utf-8")
        _tables.screening_table.cache_clear()
        with pytest.raises(KnowledgeBaseError, match="E301.*min_age"):
            _tables.screening_table()
    finally:
        _tables.screening_table.cache_clear()
