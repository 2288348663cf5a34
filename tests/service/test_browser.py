"""The pages in headless Chromium (Debian's /usr/bin/chromium driven by Playwright's Python API).

A patient describes symptoms, answers the questions and sees the result; a red flag puts the emergency
advice first; a clinician amends the result from the review queue.  Screenshots go to tests/artifacts/.
Skipped, with the reason, when Chromium or Playwright is missing or Chromium cannot start.
"""

from __future__ import annotations

import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from medassist.service.app import create_app
from tests.service.conftest import Account, Api, Database, make_settings

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def live(resources: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Api]]:
    """A real uvicorn server on a free loopback port, in a thread, with a database of its own."""
    import uvicorn
    from fastapi.testclient import TestClient

    folder = tmp_path_factory.mktemp("live")
    database = Database("sqlite", f"sqlite:///{folder / 'browser.db'}")
    app = create_app(make_settings(database, folder, migrate=True), resources=resources)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the test server did not start")
        time.sleep(0.05)
    helper = Api(TestClient(app), app)  # used only for its account helper (no lifespan)
    yield f"http://127.0.0.1:{port}", helper
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Chromium is not installed: apt-get install -y chromium (the tests use /usr/bin/chromium)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("Playwright is not installed: pip install -e '.[test]'")
    pw = sync_playwright().start()
    try:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True, timeout=30_000)
    except Exception as exc:  # any launch failure means: cannot test here; say why
        pw.stop()
        pytest.skip(f"Chromium could not start: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    yield browser
    browser.close()
    pw.stop()


def _sign_out(page: Any) -> None:
    """Sign out (the page revokes the token on the server, then goes to the sign-in page)."""
    with page.expect_response(lambda r: r.url.endswith("/v1/auth/logout")) as resp:
        page.get_by_role("button", name="Sign out").click()
    assert resp.value.status == 204
    page.wait_for_url(re.compile(r"/$"))
    page.get_by_label("Email").wait_for()


def _sign_in(page: Any, base: str, who: Account) -> None:
    page.goto(f"{base}/")
    page.get_by_label("Email").fill(who.email)
    page.get_by_label("Password").fill(who.password)
    page.get_by_role("button", name="Sign in").click()


def test_patient_interview_result_and_clinician_amendment(live: tuple[str, Api], browser: Any) -> None:
    from playwright.sync_api import expect

    base, helper = live
    patient, clinician = helper.account("patient"), helper.account("clinician")
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)

    _sign_in(page, base, patient)
    expect(page).to_have_url(re.compile(r"/patient"))
    page.get_by_label("In your own words").fill("I have a sore throat and a high temperature since yesterday")
    page.get_by_label("Age (years)").fill("24")
    page.get_by_label("Sex").select_option("f")
    page.get_by_role("button", name="Start").click()
    banner = page.locator("#triage")
    expect(banner).to_be_visible()
    expect(page.locator(".bubble.me").first).to_contain_text("sore throat")
    answered = 0
    while page.locator("#question").is_visible() and answered < 12:
        before = page.locator(".bubble").count()
        page.get_by_role("button", name="No", exact=True).click()
        expect(page.locator(".bubble")).not_to_have_count(before)
        # the answer's bubble shows at once; wait for the server's reply: the next question (buttons
        # enabled again) or the end of the interview (question hidden)
        page.wait_for_function(
            "() => document.querySelector('#question').hidden || !document.querySelector('.answer').disabled"
        )
        answered += 1
        expect(banner).to_be_visible()  # the triage banner stays on screen through the interview
    page.screenshot(path=str(ARTIFACTS / "patient-interview.png"), full_page=True)
    if page.locator("#question").is_visible():
        page.get_by_role("button", name="Stop here and show my result").click()
    page.get_by_role("link", name="See my result").click()

    expect(page).to_have_url(re.compile(r"/result\?id="))
    expect(page.locator("#triage")).to_be_visible()
    expect(page.locator("#differential li").first).to_be_visible()
    expect(page.locator(".bar").first).to_have_attribute("aria-label", re.compile(r"probability \d+%"))
    expect(page.get_by_role("heading", name="See a clinician")).to_be_visible()
    expect(page.locator("#see-clinician")).to_contain_text("not a diagnosis")
    expect(page.get_by_text("Points for").first).to_be_visible()
    expect(page.locator("#uncovered")).to_contain_text("%")
    page.screenshot(path=str(ARTIFACTS / "patient-result.png"), full_page=True)
    consultation_id = page.url.split("id=")[1]
    label = page.locator("#triage .triage-label").text_content()
    assert label and label != "—"  # the knowledge base's words for the level, sent by the server
    expect(page.locator("#triage")).to_have_class(re.compile(r"triage-(non_emergency|self_care)\b"))

    # the clinician amends it from the queue
    _sign_out(page)
    _sign_in(page, base, clinician)
    expect(page).to_have_url(re.compile(r"/review"))
    rows = page.locator("#queue tr")
    expect(rows).to_have_count(1)  # this server's only finished consultation
    badge = rows.first.locator(".badge")  # the queue item's own label and group: the page has no table
    expect(badge).to_have_text(label)
    expect(badge).to_have_class(re.compile(r"badge-(non_emergency|self_care)\b"))
    rows.first.get_by_role("button", name="Open").click()
    expect(page.locator("#detail")).to_be_visible()
    expect(page.locator("#detail-text")).to_contain_text("sore throat")
    page.screenshot(path=str(ARTIFACTS / "clinician-queue.png"), full_page=True)
    page.get_by_label("Corrected diagnosis").fill("Bacterial meningitis (meningitis)")
    page.get_by_label("Comment").fill("Checked in clinic")
    page.get_by_role("button", name="Save amendment").click()
    expect(page.locator("#review-message")).to_contain_text("amended to Bacterial meningitis")
    page.screenshot(path=str(ARTIFACTS / "clinician-amended.png"), full_page=True)

    # the patient sees the review on the result page
    _sign_out(page)
    _sign_in(page, base, patient)
    expect(page).to_have_url(re.compile(r"/patient"))
    page.goto(f"{base}/result?id={consultation_id}")
    expect(page.get_by_role("heading", name="Reviewed by a clinician")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "patient-reviewed.png"), full_page=True)
    context.close()
    assert not errors, errors


def test_red_flag_puts_emergency_advice_first(live: tuple[str, Api], browser: Any) -> None:
    from playwright.sync_api import expect

    base, helper = live
    patient = helper.account("patient")
    context = browser.new_context(viewport={"width": 420, "height": 860})  # a phone
    page = context.new_page()
    _sign_in(page, base, patient)
    page.get_by_label("In your own words").fill("I have a high temperature and a stiff neck")
    page.get_by_role("button", name="Start").click()
    banner = page.locator("#triage")
    expect(banner).to_have_class(re.compile("triage-emergency"))
    expect(banner).to_have_attribute("role", "alert")
    expect(page.locator("#question")).to_be_hidden()  # no more questions: get help now
    box, main = banner.bounding_box(), page.locator("main").bounding_box()
    assert box is not None and main is not None and box["y"] < main["y"] and box["y"] < 120  # above everything else
    page.screenshot(path=str(ARTIFACTS / "patient-red-flag.png"), full_page=False)
    page.get_by_role("link", name="See my result").click()
    expect(page.get_by_role("heading", name="Get urgent help now")).to_be_visible()
    first = page.locator("main > *:visible").nth(1)  # right after the page title
    expect(first).to_contain_text("Get urgent help now")
    page.screenshot(path=str(ARTIFACTS / "result-red-flag.png"), full_page=True)
    context.close()


@pytest.mark.parametrize("text", ["I have a high temperature and a stiff neck",
                                  "I have a sore throat and a high temperature"], ids=["emergency", "sore-throat"])
def test_the_result_page_explains_in_plain_words_safety_text_first(live: tuple[str, Api], browser: Any,
                                                                    text: str) -> None:
    from playwright.sync_api import expect

    base, helper = live
    context = browser.new_context(viewport={"width": 420, "height": 860})
    page = context.new_page()
    _sign_in(page, base, helper.account("patient"))
    page.get_by_label("In your own words").fill(text)
    page.get_by_role("button", name="Start").click()
    expect(page.locator("#triage")).to_be_visible()
    if page.locator("#question").is_visible():
        page.get_by_role("button", name="Stop here and show my result").click()
    with page.expect_response(lambda r: "/v1/consultations/" in r.url and r.request.method == "GET") as resp:
        page.get_by_role("link", name="See my result").click()
    c = resp.value.json()
    exp = c["explanation"]
    section = page.locator("#plain")
    expect(section.get_by_role("heading", name="In plain words")).to_be_visible()
    lines = section.locator("p")
    expect(lines.first).to_have_text(exp["safety"][0])  # the safety text first, exactly as the server wrote it
    expect(section.locator("#plain-safety p")).to_have_text(exp["safety"])
    expect(section.locator("#plain-body p")).to_have_text(exp["body"])
    if c["result"]["emergency"]:
        assert exp["safety"][0] == c["result"]["red_flags"][0]["message"]
        expect(section).to_have_class(re.compile(r"\bplain-emergency\b"))
        expect(section.locator("#plain-advice")).to_be_hidden()
        # the red-flag advice stays first on the page, above the explanation
        assert page.locator("#emergency").bounding_box()["y"] < section.bounding_box()["y"]
    else:
        assert exp["safety"] == [c["result"]["triage"]["label"], c["result"]["triage"]["advice"]]
        expect(section.locator("#plain-advice li")).to_have_text(exp["advice"])
        expect(section.locator("#plain-body")).to_contain_text("You told us about")
    page.screenshot(path=str(ARTIFACTS / f"result-plain-words-{'emergency' if exp['emergency'] else 'routine'}.png"),
                    full_page=True)
    context.close()


def test_the_pages_spell_no_triage_level() -> None:
    """The levels, their words and their groups come from the server (medassist.doc.TRIAGE_LEVELS and the
    knowledge base's triage.yaml); the script and the stylesheet know only the groups' class names."""
    from medassist.doc import TRIAGE_LEVELS
    from medassist.web import STATIC_DIR

    groups = {"emergency", "non_emergency", "self_care"}  # the class names the page styles
    for name in ("app.js", "style.css"):
        source = (STATIC_DIR / name).read_text(encoding="utf-8")
        # a level as a string, an object key or a class name ("consultation" alone is also an English word)
        spelled = [level for level in TRIAGE_LEVELS if level not in groups
                   and re.search(rf"[\"'`]{level}[\"'`]|\b{level}\s*:|-{level}\b", source)]
        assert not spelled, (name, spelled)
    script = (STATIC_DIR / "app.js").read_text(encoding="utf-8")
    assert "triage_label" in script and "triage_group" in script


def test_my_health_page_shows_the_plan_with_safety_first(live: tuple[str, Api], browser: Any, tmp_path: Path) -> None:
    import json

    from playwright.sync_api import expect

    base, helper = live
    patient = helper.account("patient")
    example = Path(__file__).resolve().parents[2] / "examples" / "health" / "patient.json"
    record = json.loads(example.read_text(encoding="utf-8"))
    record["vitals"]["systolic_bp"] = 186  # a hypertensive-crisis reading: the plan must say so first
    upload = tmp_path / "record.json"
    upload.write_text(json.dumps(record), encoding="utf-8")
    errors: list[str] = []
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    page = context.new_page()
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    _sign_in(page, base, patient)
    expect(page).to_have_url(re.compile(r"/patient"))
    page.get_by_role("link", name="My health").click()
    expect(page).to_have_url(re.compile(r"/health"))
    page.get_by_role("button", name="Make my plan").click()
    expect(page.locator("#page-error")).to_contain_text("Choose your record file")
    page.get_by_label("Record file").set_input_files(str(upload))
    page.get_by_role("button", name="Make my plan").click()
    safety = page.locator("#safety")
    expect(safety).to_be_visible()
    expect(safety).to_contain_text("hypertensive-crisis")
    expect(page.locator("#goals li").first).to_be_visible()
    expect(page.locator("#due li[data-status=overdue]").first).to_be_visible()
    expect(page.locator("#meds li").first).to_be_visible()
    expect(page.locator("#plan-disclaimer")).to_contain_text("does not diagnose")
    box, risks = safety.bounding_box(), page.locator("#risks").bounding_box()
    assert box is not None and risks is not None and box["y"] < risks["y"]
    page.screenshot(path=str(ARTIFACTS / "my-health.png"), full_page=True)
    assert errors == []
    context.close()
