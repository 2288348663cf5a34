"""Published risk scores (medassist.health.scores over knowledge/data/health/scores.yaml): each reproduces the
worked examples or tables of its source, categories change exactly at the published cut-offs, bad input is
an E80x error, a score outside its population or with a missing input is not applicable (never guessed),
and the PHQ-9 question-9 flag is never hidden."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from medassist.errors import HealthInputError, InputError, KnowledgeBaseError
from medassist.health import scores as S
from medassist.health.scores import (
    ScoreResult,
    bmi,
    category_for,
    cha2ds2_vasc,
    compute,
    curb65,
    egfr_ckd_epi_2021,
    findrisc,
    gad7,
    has_bled,
    list_scores,
    load_scores,
    pce_ascvd,
    phq9,
    score_info,
)

# --- pooled cohort equations ----------------------------------------------------------------------------

PCE_EXAMPLE = dict(age=55, total_cholesterol=213, hdl=50, sbp=120, bp_treated=False, smoker=False, diabetes=False,
                   known_ascvd=False)


@pytest.mark.parametrize("race, sex, paper_sum, paper_risk", [
    # Goff et al. 2014, Appendix 7 Table A: the example profile's individual sum and 10-year risk
    ("white", "female", -29.67, 2.1),
    ("african_american", "female", 86.16, 3.0),
    ("white", "male", 60.69, 5.3),
    ("african_american", "male", 18.97, 6.1),
])
def test_pce_reproduces_the_papers_worked_examples(race, sex, paper_sum, paper_risk):
    r = pce_ascvd(race=race, sex=sex, **PCE_EXAMPLE)
    assert r.applicable and r.unit == "%"
    # the individual sum (coefficient x value, summed) matches the table's to its printed precision
    assert abs(r.details["individual_sum"] - paper_sum) < 0.01
    # the risk reproduces to 0.1 percentage point.  (White men: the exact sum 60.6995 gives 5.38%, shown as
    # 5.4; the paper's 5.3 comes from its sum rounded to 60.69 before exponentiating.)
    assert abs(r.details["risk_percent_unrounded"] - paper_risk) <= 0.1
    assert round(abs(r.value - paper_risk), 6) <= 0.1


def test_pce_worked_examples_in_the_yaml_match_the_code():
    """The YAML carries the paper's example results next to the coefficients; the code reproduces them."""
    params = load_scores().params["pce_ascvd"]
    inputs = dict(params.worked_example_inputs)
    for group, eq in params.equations.items():
        race, sex = group.rsplit("_", 1)
        r = compute("pce_ascvd", inputs, race=race, sex=sex)
        assert abs(r.details["individual_sum"] - eq.worked_example.sum) < 0.01, group
        assert abs(r.details["risk_percent_unrounded"] - eq.worked_example.risk_percent) <= 0.1, group


def test_pce_risk_factors_raise_the_risk_and_treated_bp_uses_its_own_term():
    base = pce_ascvd(race="white", sex="male", **PCE_EXAMPLE).details["risk_percent_unrounded"]
    for change in ({"smoker": True}, {"diabetes": True}, {"sbp": 160}, {"bp_treated": True}, {"age": 65},
                   {"total_cholesterol": 260}, {"hdl": 35}):
        r = pce_ascvd(race="white", sex="male", **{**PCE_EXAMPLE, **change})
        assert r.details["risk_percent_unrounded"] > base, change
    # a smoking white man of 55 by hand: sum + 7.837 - 1.795 * ln 55
    smoker = pce_ascvd(race="white", sex="male", **{**PCE_EXAMPLE, "smoker": True})
    expected_sum = 60.6995 + 7.837 - 1.795 * math.log(55)
    assert smoker.details["individual_sum"] == pytest.approx(expected_sum, abs=1e-3)
    assert smoker.details["risk_percent_unrounded"] == pytest.approx(
        100 * (1 - 0.9144 ** math.exp(expected_sum - 61.18)), abs=1e-3)


def test_pce_other_race_uses_the_white_equations_and_says_so():
    other = pce_ascvd(race="other", sex="female", **PCE_EXAMPLE)
    white = pce_ascvd(race="white", sex="female", **PCE_EXAMPLE)
    assert other.value == white.value and other.details["equation"] == "white_female"
    assert other.flag_ids == ["pce_race_other"] and white.flag_ids == []


def test_pce_cholesterol_in_mmol_per_litre_is_converted():
    mg = pce_ascvd(race="white", sex="female", **PCE_EXAMPLE)
    mmol = pce_ascvd(race="white", sex="female", **{**PCE_EXAMPLE, "total_cholesterol": 213 / 38.67,
                                                    "total_cholesterol_unit": "mmol/L", "hdl": 50 / 38.67,
                                                    "hdl_unit": "mmol/L"})
    assert mmol.details["risk_percent_unrounded"] == pytest.approx(mg.details["risk_percent_unrounded"], abs=1e-9)


@pytest.mark.parametrize("change, reason_part", [
    ({"age": 35}, "ages 40-79"),
    ({"age": 39.9}, "ages 40-79"),
    ({"age": 82}, "ages 40-79"),
    ({"total_cholesterol": 129}, "130-320"),
    ({"total_cholesterol": 321}, "130-320"),
    ({"hdl": 19}, "20-100"),
    ({"hdl": 101}, "20-100"),
    ({"sbp": 89}, "90-200"),
    ({"sbp": 201}, "90-200"),
    ({"known_ascvd": True}, "primary prevention"),
])
def test_pce_outside_its_derivation_is_not_applicable_not_clamped(change, reason_part):
    r = pce_ascvd(race="white", sex="male", **{**PCE_EXAMPLE, **change})
    assert r.applicable is False and r.value is None and r.category is None
    assert reason_part in r.reason and r.missing == []


@pytest.mark.parametrize("change", [{"age": 40}, {"age": 79}, {"total_cholesterol": 130}, {"total_cholesterol": 320},
                                    {"hdl": 20}, {"hdl": 100}, {"sbp": 90}, {"sbp": 200}])
def test_pce_applies_at_the_edges_of_its_derivation_ranges(change):
    assert pce_ascvd(race="white", sex="male", **{**PCE_EXAMPLE, **change}).applicable


@pytest.mark.parametrize("value, category", [(4.9, "low"), (5.0, "borderline"), (7.4, "borderline"),
                                             (7.5, "intermediate"), (19.9, "intermediate"), (20.0, "high")])
def test_pce_risk_categories_change_at_5_7_5_and_20_percent(value, category):
    assert category_for("pce_ascvd", value)[0] == category


def test_pce_category_agrees_with_the_value():
    r = pce_ascvd(race="white", sex="male", **PCE_EXAMPLE)  # 5.4%
    assert r.category == "borderline"
    high = pce_ascvd(race="african_american", sex="male", **{**PCE_EXAMPLE, "age": 70, "smoker": True,
                                                            "diabetes": True, "sbp": 160, "bp_treated": True})
    assert high.value >= 20 and high.category == "high"


# --- CHA2DS2-VASc and HAS-BLED ----------------------------------------------------------------------------

CHA_NONE = dict(congestive_heart_failure=False, hypertension=False, age=50, diabetes=False,
                stroke_tia_thromboembolism=False, vascular_disease=False, sex="male")


@pytest.mark.parametrize("change, points", [
    # Lip et al. 2010, Table: C 1, H 1, A2 2, D 1, S2 2, V 1, A 1, Sc 1
    ({}, 0),
    ({"congestive_heart_failure": True}, 1),
    ({"hypertension": True}, 1),
    ({"age": 75}, 2),
    ({"age": 74.9}, 1),
    ({"age": 65}, 1),
    ({"age": 64.9}, 0),
    ({"diabetes": True}, 1),
    ({"stroke_tia_thromboembolism": True}, 2),
    ({"vascular_disease": True}, 1),
    ({"sex": "female"}, 1),
])
def test_cha2ds2_vasc_points_per_criterion(change, points):
    assert cha2ds2_vasc(**{**CHA_NONE, **change}).value == points


def test_cha2ds2_vasc_maximum_is_9():
    r = cha2ds2_vasc(congestive_heart_failure=True, hypertension=True, age=80, diabetes=True,
                     stroke_tia_thromboembolism=True, vascular_disease=True, sex="female")
    assert r.value == 9 and r.category == "high"
    assert r.details["points"] == {"C": 1, "H": 1, "A2": 2, "D": 1, "S2": 2, "V": 1, "A": 0, "Sc": 1}


@pytest.mark.parametrize("change, category, rate", [
    # Lip et al. 2010: 0 low, 1 intermediate, >=2 high; 1-year thromboembolism rates in the Euro Heart Survey
    ({}, "low", 0.0),
    ({"sex": "female"}, "intermediate", 0.6),
    ({"hypertension": True, "diabetes": True}, "high", 1.6),
    ({"hypertension": True, "age": 76}, "high", 3.9),
])
def test_cha2ds2_vasc_categories_and_rates_of_the_paper(change, category, rate):
    r = cha2ds2_vasc(**{**CHA_NONE, **change})
    assert r.category == category and r.details["rate"] == rate
    assert f"{rate:g}%" in r.interpretation


HAS_NONE = dict(hypertension_uncontrolled=False, abnormal_renal_function=False, abnormal_liver_function=False,
                stroke=False, bleeding=False, labile_inr=False, age=60, drugs=False, alcohol=False)


@pytest.mark.parametrize("name", ["hypertension_uncontrolled", "abnormal_renal_function", "abnormal_liver_function",
                                  "stroke", "bleeding", "labile_inr", "drugs", "alcohol"])
def test_has_bled_each_criterion_scores_one(name):
    assert has_bled(**{**HAS_NONE, name: True}).value == 1


def test_has_bled_elderly_means_over_65():
    assert has_bled(**{**HAS_NONE, "age": 65}).value == 0
    assert has_bled(**{**HAS_NONE, "age": 66}).value == 1


@pytest.mark.parametrize("n_true, category, rate", [
    # Pisters et al. 2010: bleeds per 100 patient-years by score; >=3 high risk; no rate above 5
    (0, "low to moderate", 1.13), (1, "low to moderate", 1.02), (2, "low to moderate", 1.88),
    (3, "high", 3.74), (4, "high", 8.70), (5, "high", 12.50), (6, "high", None),
])
def test_has_bled_categories_and_bleed_rates_of_the_paper(n_true, category, rate):
    names = ["hypertension_uncontrolled", "abnormal_renal_function", "abnormal_liver_function", "stroke", "bleeding",
             "labile_inr"][:n_true]
    r = has_bled(**{**HAS_NONE, **{n: True for n in names}})
    assert r.value == n_true and r.category == category and r.details["rate"] == rate
    assert ("too few patients" in r.interpretation) == (rate is None)


def test_has_bled_maximum_is_9():
    r = has_bled(**{k: (True if isinstance(v, bool) else 70) for k, v in HAS_NONE.items()})
    assert r.value == 9


# --- FINDRISC ---------------------------------------------------------------------------------------------

FIN_NONE = dict(age=30, sex="male", bmi=22, waist_cm=85, physically_active=True, vegetables_fruit_daily=True,
                antihypertensive_medication=False, high_glucose_history=False, family_history="none")


@pytest.mark.parametrize("change, points", [
    ({}, 0),
    ({"age": 44.9}, 0), ({"age": 45}, 2), ({"age": 54}, 2), ({"age": 55}, 3), ({"age": 64}, 3), ({"age": 65}, 4),
    ({"bmi": 24.9}, 0), ({"bmi": 25}, 1), ({"bmi": 30}, 1), ({"bmi": 30.1}, 3),
    ({"waist_cm": 93.9}, 0), ({"waist_cm": 94}, 3), ({"waist_cm": 102}, 3), ({"waist_cm": 102.1}, 4),
    ({"sex": "female", "waist_cm": 79.9}, 0), ({"sex": "female", "waist_cm": 80}, 3),
    ({"sex": "female", "waist_cm": 88}, 3), ({"sex": "female", "waist_cm": 88.1}, 4),
    ({"physically_active": False}, 2),
    ({"vegetables_fruit_daily": False}, 1),
    ({"antihypertensive_medication": True}, 2),
    ({"high_glucose_history": True}, 5),
    ({"family_history": "second_degree"}, 3),
    ({"family_history": "first_degree"}, 5),
])
def test_findrisc_points_per_answer(change, points):
    assert findrisc(**{**FIN_NONE, **change}).value == points


def test_findrisc_maximum_is_26():
    r = findrisc(age=70, sex="female", bmi=35, waist_cm=100, physically_active=False, vegetables_fruit_daily=False,
                 antihypertensive_medication=True, high_glucose_history=True, family_history="first_degree")
    assert r.value == 26 and r.category == "very high" and "1 in 2" in r.interpretation


@pytest.mark.parametrize("change, total, category, risk", [
    # the form's totals: <7 low (1 in 100), 7-11 slightly elevated (1 in 25), 12-14 moderate (1 in 6),
    # 15-20 high (1 in 3), >20 very high (1 in 2)
    ({"family_history": "second_degree", "physically_active": False, "vegetables_fruit_daily": False}, 6, "low", "1 in 100"),
    ({"family_history": "second_degree", "physically_active": False, "antihypertensive_medication": True}, 7,
     "slightly elevated", "1 in 25"),
    ({"high_glucose_history": True, "age": 55, "physically_active": False, "vegetables_fruit_daily": False}, 11,
     "slightly elevated", "1 in 25"),
    ({"high_glucose_history": True, "age": 55, "physically_active": False, "antihypertensive_medication": True}, 12,
     "moderate", "1 in 6"),
    ({"high_glucose_history": True, "age": 65, "bmi": 31, "antihypertensive_medication": True}, 14, "moderate", "1 in 6"),
    ({"high_glucose_history": True, "age": 65, "bmi": 31, "antihypertensive_medication": True,
      "vegetables_fruit_daily": False}, 15, "high", "1 in 3"),
    ({"high_glucose_history": True, "family_history": "first_degree", "age": 65, "bmi": 31,
      "antihypertensive_medication": True, "vegetables_fruit_daily": False}, 20, "high", "1 in 3"),
    ({"high_glucose_history": True, "family_history": "first_degree", "age": 65, "bmi": 31,
      "antihypertensive_medication": True, "physically_active": False}, 21, "very high", "1 in 2"),
])
def test_findrisc_categories_change_at_the_published_totals(change, total, category, risk):
    r = findrisc(**{**FIN_NONE, **change})
    assert r.value == total and r.category == category and risk in r.interpretation


def test_findrisc_does_not_apply_to_children():
    r = findrisc(**{**FIN_NONE, "age": 15})
    assert not r.applicable and r.value is None and "adults" in r.reason


# --- CURB-65 ----------------------------------------------------------------------------------------------

CURB_NONE = dict(confusion=False, urea=5.0, respiratory_rate=18, sbp=120, dbp=75, age=50)


@pytest.mark.parametrize("change, points", [
    ({}, 0),
    ({"confusion": True}, 1),
    ({"urea": 7.0}, 0), ({"urea": 7.1}, 1),
    ({"respiratory_rate": 29}, 0), ({"respiratory_rate": 30}, 1),
    ({"sbp": 90}, 0), ({"sbp": 89}, 1),
    ({"dbp": 61}, 0), ({"dbp": 60}, 1),
    ({"sbp": 85, "dbp": 55}, 1),  # one point for low blood pressure, not two
    ({"age": 64.9}, 0), ({"age": 65}, 1),
])
def test_curb65_points_and_their_cut_offs(change, points):
    assert curb65(**{**CURB_NONE, **change}).value == points


def test_curb65_bun_in_mg_per_dl_instead_of_urea():
    base = {k: v for k, v in CURB_NONE.items() if k != "urea"}
    assert curb65(**base, bun=19).value == 0
    assert curb65(**base, bun=19.5).value == 1
    # both given: the urea in mmol/L (the paper's measure) decides
    assert curb65(**base, urea=6.0, bun=25).value == 0


@pytest.mark.parametrize("change, total, category, mortality", [
    # Lim et al. 2003: 0-1 low (1.5%), 2 intermediate (9.2%), 3-5 high (22%) 30-day mortality
    ({"confusion": True}, 1, "low", "1.5%"),
    ({"confusion": True, "age": 70}, 2, "intermediate", "9.2%"),
    ({"confusion": True, "age": 70, "urea": 9}, 3, "high", "22%"),
    ({"confusion": True, "age": 70, "urea": 9, "respiratory_rate": 32, "sbp": 80}, 5, "high", "22%"),
])
def test_curb65_mortality_groups_of_the_paper(change, total, category, mortality):
    r = curb65(**{**CURB_NONE, **change})
    assert r.value == total and r.category == category and mortality in r.interpretation


def test_curb65_without_urea_or_bun_is_missing_not_guessed():
    r = curb65(**{k: v for k, v in CURB_NONE.items() if k != "urea"})
    assert not r.applicable and r.value is None and r.missing == ["urea or bun"]


# --- eGFR (CKD-EPI 2021) and KDIGO categories ----------------------------------------------------------------

# Expected values worked out by hand from the equation (Inker et al. 2021):
#   eGFR = 142 x min(Scr/k,1)^a x max(Scr/k,1)^-1.200 x 0.9938^age x 1.012 [female]; k 0.7/0.9, a -0.241/-0.302
# each factor computed separately (to 5 decimals) and multiplied:
EGFR_BY_HAND = [
    # (creatinine mg/dL, age, sex, factors, eGFR)
    (0.7, 50, "female", "142 x 1 x 1 x 0.73274 (0.9938^50) x 1.012", 105.298),
    (0.9, 50, "male", "142 x 1 x 1 x 0.73274", 104.049),
    (1.0, 50, "male", "142 x 1 x 0.88123 ((1.0/0.9)^-1.2) x 0.73274", 91.691),
    (1.0, 60, "male", "142 x 1 x 0.88123 x 0.68856 (0.9938^60)", 86.163),
    (1.2, 60, "male", "142 x 1 x 0.70807 ((1.2/0.9)^-1.2) x 0.68856", 69.231),
    (0.5, 40, "female", "142 x 1.08447 ((0.5/0.7)^-0.241) x 1 x 0.77976 (0.9938^40) x 1.012", 121.519),
    (0.6, 30, "male", "142 x 1.13026 ((0.6/0.9)^-0.302) x 1 x 0.82979 (0.9938^30)", 133.180),
    (1.3, 45, "female", "142 x 1 x 0.47576 ((1.3/0.7)^-1.2) x 0.75588 (0.9938^45) x 1.012", 51.678),
    (2.0, 70, "female", "142 x 1 x 0.28371 ((2.0/0.7)^-1.2) x 0.64704 (0.9938^70) x 1.012", 26.380),
    (4.0, 65, "male", "142 x 1 x 0.16696 ((4.0/0.9)^-1.2) x 0.66747 (0.9938^65)", 15.825),
]


@pytest.mark.parametrize("scr, age, sex, factors, expected", EGFR_BY_HAND)
def test_egfr_matches_values_worked_out_by_hand(scr, age, sex, factors, expected):
    r = egfr_ckd_epi_2021(creatinine=scr, age=age, sex=sex)
    assert r.details["egfr_unrounded"] == pytest.approx(expected, abs=0.01), factors
    assert r.value == int(expected + 0.5) and isinstance(r.value, int)


def test_egfr_reference_points_at_kappa():
    """At creatinine = kappa both min/max terms are 1, so eGFR is 142 x 0.9938^age (x 1.012 for women): a
    woman of 40 with 0.7 mg/dL has 142 x 0.77976 x 1.012 = 112.05, i.e. 112; a man of 40 with 0.9 has 111."""
    assert egfr_ckd_epi_2021(creatinine=0.7, age=40, sex="female").value == 112
    assert egfr_ckd_epi_2021(creatinine=0.9, age=40, sex="male").value == 111


def test_egfr_accepts_creatinine_in_micromol_per_litre():
    mg = egfr_ckd_epi_2021(creatinine=1.2, age=60, sex="male")
    for unit in ("umol/L", "µmol/L", "UMOL/L"):
        umol = egfr_ckd_epi_2021(creatinine=1.2 * 88.4, creatinine_unit=unit, age=60, sex="male")
        assert umol.details["egfr_unrounded"] == pytest.approx(mg.details["egfr_unrounded"], rel=1e-12)
    assert egfr_ckd_epi_2021(creatinine=88.4, creatinine_unit="umol/L", age=50, sex="male").value == 92  # 91.691


def _creatinine_for(egfr: float) -> float:
    """Creatinine (mg/dL, above kappa) that gives this eGFR to a man of 50: the equation solved for Scr."""
    return 0.9 * (104.0490 / egfr) ** (1 / 1.2)


@pytest.mark.parametrize("target, category", [
    (90.4, "G1"), (89.4, "G2"), (60.4, "G2"), (59.4, "G3a"), (45.4, "G3a"), (44.4, "G3b"),
    (30.4, "G3b"), (29.4, "G4"), (15.4, "G4"), (14.4, "G5"),
])
def test_egfr_kdigo_categories_on_both_sides_of_each_cut_off(target, category):
    r = egfr_ckd_epi_2021(creatinine=_creatinine_for(target), age=50, sex="male")
    assert r.details["egfr_unrounded"] == pytest.approx(target, abs=0.01)
    assert r.category == category


@pytest.mark.parametrize("value, category", [(90, "G1"), (89, "G2"), (60, "G2"), (59, "G3a"), (45, "G3a"),
                                             (44, "G3b"), (30, "G3b"), (29, "G4"), (15, "G4"), (14, "G5")])
def test_gfr_categories_of_reported_values(value, category):
    assert category_for("egfr_ckd_epi_2021", value)[0] == category


@pytest.mark.parametrize("acr, unit, category", [
    (29, None, "A1"), (30, None, "A2"), (300, None, "A2"), (301, None, "A3"),
    (2.9, "mg/mmol", "A1"), (3, "mg/mmol", "A2"), (30, "mg/mmol", "A2"), (31, "mg/mmol", "A3"),
])
def test_albuminuria_categories_in_either_unit(acr, unit, category):
    r = egfr_ckd_epi_2021(creatinine=1.2, age=60, sex="male", acr=acr, acr_unit=unit)
    assert r.details["albuminuria_category"] == category and r.details["gfr_category"] == "G2"
    assert r.category == f"G2 {category}"


def test_egfr_without_acr_has_only_the_gfr_category():
    r = egfr_ckd_epi_2021(creatinine=1.2, age=60, sex="male")
    assert r.category == "G2" and "albuminuria_category" not in r.details


def test_egfr_does_not_apply_to_children():
    r = egfr_ckd_epi_2021(creatinine=0.5, age=12, sex="female")
    assert not r.applicable and r.value is None and "adults" in r.reason and "Schwartz" in r.reason
    assert egfr_ckd_epi_2021(creatinine=0.5, age=18, sex="female").applicable


# --- BMI ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("weight, value, category", [
    # height 200 cm, so BMI = weight / 4
    (73.6, 18.4, "underweight"), (74.0, 18.5, "normal weight"), (99.6, 24.9, "normal weight"),
    (100.0, 25.0, "overweight"), (119.6, 29.9, "overweight"), (120.0, 30.0, "obese class I"),
    (139.6, 34.9, "obese class I"), (140.0, 35.0, "obese class II"), (159.6, 39.9, "obese class II"),
    (160.0, 40.0, "obese class III"),
])
def test_bmi_who_categories_on_both_sides_of_each_cut_off(weight, value, category):
    r = bmi(weight_kg=weight, height_cm=200, age=30)
    assert r.value == pytest.approx(value) and r.category == category


def test_bmi_by_hand_and_the_category_of_the_value_shown():
    assert bmi(weight_kg=70, height_cm=175, age=40).value == 22.9  # 70 / 1.75^2 = 22.857
    r = bmi(weight_kg=99.8, height_cm=200, age=40)  # 24.95, shown as 25.0 (half up): the category of 25.0
    assert r.value == 25.0 and r.category == "overweight"


def test_bmi_for_a_child_does_not_apply_and_says_what_is_needed():
    r = bmi(weight_kg=40, height_cm=150, age=12)
    assert not r.applicable and r.value is None and r.category is None
    assert "BMI-for-age centiles" in r.reason
    assert bmi(weight_kg=40, height_cm=150, age=18).applicable


def test_bmi_without_age_is_missing_not_assumed_adult():
    r = bmi(weight_kg=70, height_cm=175)
    assert not r.applicable and r.missing == ["age"]


# --- PHQ-9 and GAD-7 ------------------------------------------------------------------------------------------


def _answers(total: int, n: int) -> list[int]:
    """n answers 0-3 adding up to total, with the last (PHQ-9 question 9) 0."""
    out = [0] * n
    for i in range(n - 1):
        out[i] = min(3, total - sum(out))
    assert sum(out) == total
    return out


@pytest.mark.parametrize("total, category", [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"),
                                             (10, "moderate"), (14, "moderate"), (15, "moderately severe"),
                                             (19, "moderately severe"), (20, "severe"), (24, "severe")])
def test_phq9_severity_cut_offs(total, category):
    r = phq9(_answers(total, 9))
    assert r.value == total and r.category == category and r.flags == []


def test_phq9_maximum_is_27():
    r = phq9([3] * 9)
    assert r.value == 27 and r.category == "severe" and r.flag_ids == ["phq9_item9_self_harm"]


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_question_9_is_flagged_even_with_a_minimal_total(item9):
    r = phq9([0] * 8 + [item9])
    assert r.value == item9 and r.category == "minimal"
    assert r.flag_ids == ["phq9_item9_self_harm"]
    assert "same-day" in r.flags[0] and r.flags[0].startswith("SAFETY")
    assert r.to_dict()["flags"] == r.flags


def test_phq9_question_9_flag_is_not_hidden_when_other_answers_are_missing():
    r = phq9([None] * 8 + [2])
    assert not r.applicable and r.value is None and len(r.missing) == 8
    assert r.flag_ids == ["phq9_item9_self_harm"]
    r = compute("phq9", item_9=1)
    assert r.flag_ids == ["phq9_item9_self_harm"]


def test_phq9_question_9_answered_0_raises_no_flag():
    assert phq9([3] * 8 + [0]).flags == []


@pytest.mark.parametrize("total, category", [(0, "minimal"), (4, "minimal"), (5, "mild"), (9, "mild"),
                                             (10, "moderate"), (14, "moderate"), (15, "severe"), (21, "severe")])
def test_gad7_severity_cut_offs(total, category):
    answers = [3] * 7 if total == 21 else _answers(total, 7)
    r = gad7(answers)
    assert r.value == total and r.category == category


def test_questionnaire_items_by_name_or_as_a_list():
    assert compute("gad7", {f"item_{i}": 1 for i in range(1, 8)}).value == 7
    assert compute("gad7", answers=[1] * 7).value == 7


# --- input errors (E80x) ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("call, code, names", [
    (lambda: pce_ascvd(race="white", sex="male", **{**PCE_EXAMPLE, "sbp": 400}), "E803", ["sbp", "400", "50 to 300"]),
    (lambda: pce_ascvd(race="white", sex="male", **{**PCE_EXAMPLE, "age": 150}), "E803", ["age", "150", "0 to 120"]),
    (lambda: phq9([0, 0, 4, 0, 0, 0, 0, 0, 0]), "E803", ["item_3", "4", "0 to 3"]),
    (lambda: phq9([0, 0, -1, 0, 0, 0, 0, 0, 0]), "E803", ["item_3", "-1"]),
    (lambda: egfr_ckd_epi_2021(creatinine=-1, age=50, sex="male"), "E803", ["creatinine", "-1", "0.1 to 40"]),
    (lambda: egfr_ckd_epi_2021(creatinine=50000, creatinine_unit="umol/L", age=50, sex="male"), "E803",
     ["creatinine", "50000 umol/L"]),
    (lambda: bmi(weight_kg=70, height_cm=5, age=40), "E803", ["height_cm", "50 to 272"]),
    (lambda: curb65(**{**CURB_NONE, "respiratory_rate": 0}), "E803", ["respiratory_rate"]),
    (lambda: compute("no_such_score"), "E801", ["no_such_score", "pce_ascvd"]),
    (lambda: compute("bmi", weight_kg=70, height_cm=175, age=40, wieght=3), "E802", ["wieght", "weight_kg"]),
    (lambda: compute("bmi", weight_kg="70", height_cm=175, age=40), "E804", ["weight_kg", "a number", "str"]),
    (lambda: compute("bmi", weight_kg=True, height_cm=175, age=40), "E804", ["weight_kg"]),
    (lambda: compute("bmi", weight_kg=float("nan"), height_cm=175, age=40), "E804", ["weight_kg", "finite"]),
    (lambda: phq9([1.5] + [0] * 8), "E804", ["item_1", "whole number"]),
    (lambda: cha2ds2_vasc(**{**CHA_NONE, "hypertension": "yes"}), "E804", ["hypertension", "true or false"]),
    (lambda: cha2ds2_vasc(**{**CHA_NONE, "sex": "unknown"}), "E805", ["sex", "female, male"]),
    (lambda: egfr_ckd_epi_2021(creatinine=1, creatinine_unit="mmol/L", age=50, sex="male"), "E806",
     ["creatinine", "mmol/L", "umol/L"]),
    (lambda: phq9([0] * 8), "E807", ["9 answers", "got 8"]),
    (lambda: compute("gad7", answers=[0] * 7, item_1=2), "E808", ["item_1"]),
])
def test_bad_input_is_a_catalogue_error_naming_input_value_and_range(call, code, names):
    with pytest.raises(HealthInputError) as exc:
        call()
    assert exc.value.code.name == code
    assert isinstance(exc.value, InputError) and isinstance(exc.value, ValueError)
    message = str(exc.value)
    assert message.startswith(f"[{code}]")
    for name in names:
        assert name in message, (name, message)


def test_error_messages_do_not_repeat_free_text():
    secret = "patient says she was assaulted by her husband"
    for call in (lambda: cha2ds2_vasc(**{**CHA_NONE, "sex": secret}),
                 lambda: compute("bmi", **{secret.replace(" ", "_"): 1}),
                 lambda: compute(secret),
                 lambda: egfr_ckd_epi_2021(creatinine=1, creatinine_unit=secret, age=50, sex="male")):
        with pytest.raises(HealthInputError) as exc:
            call()
        assert "assaulted" not in str(exc.value)


# --- missing inputs -------------------------------------------------------------------------------------------


def test_missing_required_inputs_are_named_and_never_guessed():
    r = pce_ascvd(race="white", sex="male", age=55, total_cholesterol=213, sbp=120, bp_treated=False, smoker=False)
    assert r.applicable is False and r.value is None and r.category is None
    assert r.missing == ["hdl", "diabetes"]
    assert "hdl" in r.reason and "does not guess" in r.reason
    assert r.inputs_used["age"] == 55 and "hdl" not in r.inputs_used


def test_none_counts_as_not_given():
    assert cha2ds2_vasc(**{**CHA_NONE, "diabetes": None}).missing == ["diabetes"]


def test_not_applicable_and_missing_are_both_reported():
    r = pce_ascvd(race="white", sex="male", age=35, total_cholesterol=213)
    assert not r.applicable and "ages 40-79" in r.reason and "hdl" in r.missing


# --- the data file and the metadata -----------------------------------------------------------------------------


def test_every_entry_names_its_source():
    ids = [s["id"] for s in list_scores()]
    assert ids == ["pce_ascvd", "cha2ds2_vasc", "has_bled", "findrisc", "curb65", "egfr_ckd_epi_2021", "bmi",
                   "phq9", "gad7"]
    for info in list_scores():
        for source in [info["source"], info["categories_source"], *info["other_sources"]]:
            assert len(source["title"]) > 10 and source["authors"], info["id"]
            assert source.get("doi") or source.get("url", "").startswith("https://"), info["id"]
        assert 1990 < info["source"]["year"] <= 2026
        if info["id"] != "bmi":  # every source but the WHO report is a journal paper with a DOI
            assert info["source"]["doi"].startswith("10."), info["id"]


def test_results_carry_their_source():
    r = egfr_ckd_epi_2021(creatinine=1, age=50, sex="male")
    assert r.source["doi"] == "10.1056/NEJMoa2102953" and r.source["year"] == 2021
    assert pce_ascvd(race="white", sex="male", **PCE_EXAMPLE).source["doi"] == "10.1161/01.cir.0000437741.48606.98"


def test_the_yaml_header_says_the_format_and_who_wrote_it():
    head = S.PATH.read_text(encoding="utf-8").split("\nversion:")[0]
    assert "Written by the MedAssist team from the" in head and "published papers" in head
    for field in ("method", "inputs", "range", "applies", "categories", "flags", "criterion"):
        assert field in head


def test_metadata_lists_inputs_with_type_unit_range_and_required():
    info = score_info("egfr_ckd_epi_2021")
    by_name = {i["name"]: i for i in info["inputs"]}
    assert by_name["creatinine"] == {"name": "creatinine", "type": "number", "required": True, "unit": "mg/dL",
                                     "range": [0.1, 40.0], "other_units": ["umol/L", "µmol/L"],
                                     "description": "serum creatinine (IDMS-traceable)"}
    assert by_name["acr"]["required"] is False
    assert by_name["sex"]["choices"] == ["female", "male"]
    assert [c["label"] for c in info["categories"]] == ["G5", "G4", "G3b", "G3a", "G2", "G1"]
    assert score_info("curb65")["require_one_of"] == [["urea", "bun"]]


def test_result_is_frozen_and_serialisable():
    r = bmi(weight_kg=70, height_cm=175, age=40)
    assert isinstance(r, ScoreResult)
    with pytest.raises(AttributeError):
        r.value = 1  # type: ignore[misc]
    d = r.to_dict()
    assert d["score_id"] == "bmi" and d["value"] == 22.9 and d["applicable"] is True and d["missing"] == []
    assert d["inputs_used"] == {"weight_kg": 70, "height_cm": 175, "age": 40}


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scores.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("mutate, detail", [
    (lambda t: t.replace("version: 1", "version: 2"), "version"),
    (lambda t: t.replace('\n      doi: "10.1378/chest.09-1584"\n      url: "https://doi.org/10.1378/chest.09-1584"', ""),
     "needs a doi or a url"),
    (lambda t: t.replace("baseline_survival: 0.9665", "baseline_survival: 1.5"), "baseline_survival"),
    (lambda t: t.replace("{id: C, label: \"confusion\", points: 1, when: [{input: confusion}]}",
                         "{id: C, label: \"confusion\", points: 1, when: [{input: confusoin}]}"), "confusoin"),
    (lambda t: t.replace("- {at_least: 5, label: mild", "- {at_least: 50, label: mild", 1), "ascending"),
    (lambda t: t + "\n  - {unclosed", ""),
])
def test_a_malformed_scores_file_is_e301(tmp_path, mutate, detail):
    text = S.PATH.read_text(encoding="utf-8")
    changed = mutate(text)
    assert changed != text
    with pytest.raises(KnowledgeBaseError) as exc:
        load_scores(_write(tmp_path, changed))
    assert exc.value.code.name == "E301" and detail in str(exc.value)


def test_a_missing_scores_file_is_e301(tmp_path):
    with pytest.raises(KnowledgeBaseError) as exc:
        load_scores(tmp_path / "absent.yaml")
    assert exc.value.code.name == "E301" and "missing" in str(exc.value)


def test_the_file_is_read_once():
    assert load_scores() is load_scores()


def test_the_module_imports_no_service_web_training_or_cli():
    import ast

    tree = ast.parse(Path(S.__file__).read_text(encoding="utf-8"))
    imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
    medassist = {m for m in imported if m.startswith("medassist")}
    assert medassist == {"medassist.errors"}
