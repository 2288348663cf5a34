/* MedAssist pages: sign-in, patient interview, result, clinician review. Plain JavaScript, no build step.
   Every value from the server is written with textContent (never innerHTML). */
"use strict";

const TOKEN_KEY = "medassist.session";
// Triage levels, their words and their groups come from the server (the knowledge base's triage.yaml): a
// result's triage has {level, label, group}, a consultation summary {triage_level, triage_label, triage_group}.
// The page styles by group: emergency, non_emergency, self_care (none when there is no level).
const groupClass = (group) => group || "none";

// ---------------------------------------------------------------- helpers
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === "class") node.className = value;
    else if (key === "text") node.textContent = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}
const $ = (id) => document.getElementById(id);
const pct = (p) => `${Math.round((p || 0) * 100)}%`;

function session() {
  try {
    const s = JSON.parse(sessionStorage.getItem(TOKEN_KEY) || "null");
    return s && s.expires > Date.now() ? s : null;
  } catch { return null; }
}

function logout(revoke) {
  const s = session();
  sessionStorage.removeItem(TOKEN_KEY);
  // signing out on purpose also revokes the token on the server (POST /v1/auth/logout)
  const done = () => location.assign("/");
  if (revoke === true && s) {
    fetch("/v1/auth/logout", { method: "POST", headers: { Authorization: `Bearer ${s.token}` } }).finally(done);
  } else done();
}

function showError(message) {
  const box = $("page-error");
  if (!box) { alert(message); return; }
  box.textContent = message;
  box.hidden = !message;
}

async function api(path, options = {}) {
  const s = session();
  const headers = Object.assign({ Accept: "application/json" }, options.headers || {});
  if (s) headers.Authorization = `Bearer ${s.token}`;
  let body = options.body;
  if (body && !(body instanceof URLSearchParams)) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(body);
  }
  const response = await fetch(path, { method: options.method || "GET", headers, body });
  if (response.status === 401 && path !== "/v1/auth/token") { logout(); throw new Error("Please sign in again."); }
  const data = response.headers.get("content-type")?.includes("json") ? await response.json() : null;
  if (!response.ok) {
    let detail = data && data.detail;
    if (Array.isArray(detail)) detail = detail.map((d) => d.msg).join("; ");
    throw new Error(detail || `The server answered ${response.status}.`);
  }
  return data;
}

function requireSession(roles) {
  const s = session();
  if (!s || (roles && !roles.includes(s.role))) { location.assign("/"); return null; }
  const who = $("who");
  if (who) who.textContent = s.email;
  return s;
}

function when(iso) {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

// ---------------------------------------------------------------- shared pieces
function renderTriage(result) {
  const box = $("triage");
  const t = result && result.triage;
  if (!box || !t) return;
  const kind = groupClass(t.group);
  box.className = `triage triage-${kind}`;
  box.setAttribute("role", kind === "emergency" ? "alert" : "status");
  box.replaceChildren(
    el("strong", { class: "triage-label", text: t.label || "" }),
    el("span", { class: "triage-advice", text: t.advice || "" }),
  );
  box.hidden = false;
}

function renderRedFlags(container, result) {
  container.replaceChildren();
  const flags = (result && result.red_flags) || [];
  if (!flags.length) return;
  container.append(el("section", { class: "emergency-box", "aria-labelledby": "emergency-title" },
    el("h2", { id: "emergency-title", text: "Get urgent help now" }),
    flags.map((f) => el("p", {}, el("strong", { text: `${f.name}. ` }), f.message || "")),
  ));
}

function bar(probability, label) {
  const fill = el("span", { class: "bar-fill" });
  fill.style.width = `${Math.max(1, Math.round(probability * 100))}%`; // CSSOM: allowed by the page's CSP
  return el("div", { class: "bar", role: "img", "aria-label": `${label}: probability ${pct(probability)}` },
    fill, el("span", { class: "bar-text", "aria-hidden": "true", text: pct(probability) }));
}

function capital(text) {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

// a finding the patient said they do not have: a visible cross, and words for screen readers
function absentMark() {
  return [el("span", { class: "visually-hidden", text: "not present: " }), el("span", { "aria-hidden": "true", class: "absent-mark", text: "✗ " })];
}

function evidenceList(items) {
  return el("ul", { class: "evidence" }, items.slice(0, 5).map((e) =>
    el("li", {}, e.present === false ? absentMark() : null, capital((e.name || e.id || "").toLowerCase()),
      e.present === null || e.present === undefined
        ? el("span", { class: "not-mentioned", text: " (usual with this condition; not mentioned)" }) : null)));
}

function renderDifferential(list, result, limit) {
  list.replaceChildren();
  for (const d of (result.differential || []).slice(0, limit || 10)) {
    const details = el("div", { class: "evidence-grid" },
      d.evidence_for && d.evidence_for.length
        ? el("div", {}, el("h4", { text: "Points for" }), evidenceList(d.evidence_for)) : null,
      d.evidence_against && d.evidence_against.length
        ? el("div", {}, el("h4", { text: "Points against" }), evidenceList(d.evidence_against)) : null);
    list.append(el("li", { class: "condition" },
      el("div", { class: "condition-head" },
        el("span", { class: "condition-name", text: d.name }),
        el("span", { class: "small", text: d.icd10 ? `ICD-10 ${d.icd10}` : "" })),
      bar(d.probability, d.name), details,
      d.next_steps && d.next_steps.length ? el("p", { class: "small", text: `Next steps: ${d.next_steps[0]}` }) : null));
  }
}

// ---------------------------------------------------------------- sign-in
function loginPage() {
  const s = session();
  if (s) { location.assign(s.role === "patient" ? "/patient" : "/review"); return; }
  $("login-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const err = $("login-error");
    err.hidden = true;
    const email = $("email").value.trim();
    const form = new URLSearchParams({ username: email, password: $("password").value });
    try {
      const data = await api("/v1/auth/token", { method: "POST", body: form });
      sessionStorage.setItem(TOKEN_KEY, JSON.stringify({
        token: data.access_token, role: data.role, email, expires: Date.now() + data.expires_in * 1000,
      }));
      location.assign(data.role === "patient" ? "/patient" : "/review");
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  });
}

// ---------------------------------------------------------------- patient interview
function patientPage() {
  if (!requireSession(["patient", "clinician", "admin"])) return;
  let current = null;
  const chat = $("chat");

  function say(who, text) {
    chat.append(el("li", { class: `bubble ${who}` },
      el("span", { class: "visually-hidden", text: who === "me" ? "You said: " : "MedAssist: " }), text));
    chat.lastElementChild.scrollIntoView({ block: "nearest" });
  }

  function show(c, fresh) {
    current = c;
    $("start").hidden = true;
    $("interview").hidden = false;
    const r = c.result;
    renderTriage(r);
    if (fresh) {
      chat.replaceChildren();
      say("me", c.text);
      for (const a of r.answers || []) {
        say("me", { yes: "Yes", no: "No", dont_know: "I don't know" }[a.answer] || a.answer);
      }
    }
    if (r.red_flags && r.red_flags.length) {
      say("bot", "Warning signs found: please follow the urgent advice at the top of the page now.");
    } else if (r.message && fresh) {
      say("bot", r.message);
    }
    const q = r.next_question;
    if (!c.finished && q) {
      say("bot", q.question);
      $("question-text").textContent = q.question;
      $("question").hidden = false;
      $("done").hidden = true;
      document.querySelector(".answer").focus();
    } else {
      $("question").hidden = true;
      $("done").hidden = false;
      $("done-text").textContent = c.finished
        ? "Thank you, the questions are finished. A clinician will review your consultation."
        : "I could not find symptoms in what you wrote. Please start again and describe what you feel.";
      $("result-link").hidden = !c.finished;
      $("result-link").href = `/result?id=${encodeURIComponent(c.id)}`;
      (c.finished ? $("result-link") : $("again")).focus();
    }
    history.replaceState(null, "", `/patient?id=${encodeURIComponent(c.id)}`);
  }

  async function loadHistory() {
    try {
      const rows = await api("/v1/consultations");
      const box = $("history");
      if (!rows.length) { box.replaceChildren(el("p", { class: "small", text: "None yet." })); return; }
      box.replaceChildren(el("ul", { class: "history" }, rows.map((c) => el("li", {},
        el("span", { class: `badge badge-${groupClass(c.triage_group)}`, text: c.triage_label || "—" }),
        el("a", { href: c.status === "complete" ? `/result?id=${c.id}` : `/patient?id=${c.id}` },
          `${when(c.created_at)}: ${c.top_condition_name || "no condition found"}`),
        el("span", { class: "small", text: c.status === "complete" ? ` · ${c.review_status === "pending" ? "waiting for a clinician" : c.review_status}` : " · in progress" }),
      ))));
    } catch (e) { showError(e.message); }
  }

  $("start-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    const text = $("text").value.trim();
    if (!text) { showError("Please describe what you feel in a sentence or two."); $("text").focus(); return; }
    const body = { text };
    if ($("age").value !== "") body.age = Number($("age").value);
    if ($("sex").value) body.sex = $("sex").value;
    const button = event.submitter || $("start-form").querySelector("button");
    button.disabled = true;
    try {
      show(await api("/v1/consultations", { method: "POST", body }), true);
      loadHistory();
    } catch (e) { showError(e.message); } finally { button.disabled = false; }
  });

  document.querySelectorAll(".answer").forEach((button) => button.addEventListener("click", async () => {
    if (!current || !current.result.next_question) return;
    const answer = button.dataset.answer;
    const finding = current.result.next_question.finding;
    document.querySelectorAll(".answer").forEach((b) => { b.disabled = true; });
    say("me", button.textContent);
    try {
      show(await api(`/v1/consultations/${current.id}/answers`, { method: "POST", body: { finding, answer } }), false);
      if (current.finished) loadHistory();
    } catch (e) { showError(e.message); } finally {
      document.querySelectorAll(".answer").forEach((b) => { b.disabled = false; });
    }
  }));

  $("finish").addEventListener("click", async () => {
    if (!current) return;
    try {
      show(await api(`/v1/consultations/${current.id}/finish`, { method: "POST" }), false);
      loadHistory();
    } catch (e) { showError(e.message); }
  });

  $("again").addEventListener("click", () => {
    current = null;
    $("interview").hidden = true;
    $("start").hidden = false;
    $("triage").hidden = true;
    $("text").value = "";
    history.replaceState(null, "", "/patient");
    $("text").focus();
  });

  const id = new URLSearchParams(location.search).get("id");
  if (id) api(`/v1/consultations/${encodeURIComponent(id)}`).then((c) => show(c, true)).catch((e) => showError(e.message));
  loadHistory();
}

// ---------------------------------------------------------------- result
// The server's explanation in plain words: its safety text first, exactly as sent (the result's own words),
// then what the patient told us and the possibilities, then the top condition's next steps.
function renderExplanation(exp) {
  if (!exp) return;
  $("plain").classList.toggle("plain-emergency", Boolean(exp.emergency));
  $("plain-safety").replaceChildren(...(exp.safety || []).map((t) => el("p", { text: t })));
  $("plain-body").replaceChildren(...(exp.body || []).map((t) => el("p", { text: t })));
  $("plain-advice").replaceChildren(...(exp.advice || []).map((t) => el("li", { text: t })));
  $("plain-advice").hidden = !(exp.advice || []).length;
  $("plain").hidden = false;
}

async function resultPage() {
  const s = requireSession(["patient", "clinician", "admin"]);
  if (!s) return;
  if (s.role !== "patient") { $("back").href = "/review"; $("back").textContent = "Review queue"; }
  const id = new URLSearchParams(location.search).get("id");
  if (!id) { showError("No consultation was given."); return; }
  try {
    const c = await api(`/v1/consultations/${encodeURIComponent(id)}`);
    const r = c.result;
    renderTriage(r);
    renderRedFlags($("emergency"), r);
    $("message").textContent = r.message || "";
    $("see-clinician").textContent = r.see_clinician || "Please discuss this with a clinician.";
    renderExplanation(c.explanation);
    $("disclaimer").textContent = r.disclaimer || "";
    $("findings").replaceChildren(...(r.findings || []).map((f) =>
      el("li", { class: f.present ? "tag" : "tag tag-absent" }, f.present ? null : absentMark(), f.name.toLowerCase())));
    renderDifferential($("differential"), r);
    if (r.not_covered_probability !== null && r.not_covered_probability !== undefined) {
      $("uncovered").textContent = `Chance that this is something MedAssist does not cover: ${pct(r.not_covered_probability)}.`;
    }
    const last = (c.reviews || []).at(-1);
    const box = $("review-status");
    if (last) {
      box.replaceChildren(el("div", { class: "card reviewed" },
        el("h2", { text: "Reviewed by a clinician" }),
        el("p", { text: last.decision === "amend"
          ? `The clinician corrected the result to: ${last.condition_name || last.condition}.`
          : "The clinician agreed with this result." }),
        last.comment ? el("p", {}, el("strong", { text: "Comment: " }), last.comment) : null));
    } else if (c.status === "complete") {
      box.replaceChildren(el("p", { class: "notice", text: "Waiting for a clinician to review this consultation." }));
    }
  } catch (e) { showError(e.message); }
}

// ---------------------------------------------------------------- clinician review
function reviewPage() {
  if (!requireSession(["clinician", "admin"])) return;
  let selected = null;
  let conditions = [];

  async function loadQueue() {
    try {
      const rows = await api(`/v1/reviews?status=${encodeURIComponent($("filter").value)}`);
      $("count").textContent = `${rows.length} consultation${rows.length === 1 ? "" : "s"}`;
      $("queue").replaceChildren(...rows.map((c) => el("tr", { class: c.red_flag ? "row-flag" : null },
        el("td", {}, el("span", { class: `badge badge-${groupClass(c.triage_group)}`,
          text: (c.red_flag ? "Red flag · " : "") + (c.triage_label || "—") })),
        el("td", { text: when(c.created_at) }),
        el("td", { text: [c.age !== null && c.age !== undefined ? `${Math.round(c.age)} y` : "", c.sex || ""].filter(Boolean).join(", ") || "—" }),
        el("td", { text: c.top_condition_name ? `${c.top_condition_name} (${pct(c.top_probability)})` : "—" }),
        el("td", { text: c.review_status }),
        el("td", {}, el("button", { type: "button", class: "small-button", onclick: () => open(c.id),
          "aria-label": `Open consultation from ${when(c.created_at)}` }, "Open")))));
      if (!rows.length) $("queue").append(el("tr", {}, el("td", { colspan: "6", class: "small", text: "Nothing to review." })));
    } catch (e) { showError(e.message); }
  }

  async function open(id) {
    try {
      const c = await api(`/v1/consultations/${encodeURIComponent(id)}`);
      selected = c;
      const r = c.result;
      $("detail").hidden = false;
      const t = r.triage || {};
      $("detail-triage").replaceChildren(
        el("p", {}, el("span", { class: `badge badge-${groupClass(t.group)}`, text: t.label || "" })),
        ...(r.red_flags || []).map((f) => el("p", { class: "emergency-inline", text: `Red flag: ${f.name}` })));
      $("detail-text").textContent = c.text;
      const names = Object.fromEntries((r.findings || []).map((f) => [f.id, f.name]));
      const said = { yes: "yes", no: "no", dont_know: "does not know" };
      $("detail-answers").replaceChildren(...(r.answers || []).map((a) => el("li", {
        text: `${names[a.finding] || a.finding.replaceAll("_", " ")}: ${said[a.answer] || a.answer}` })));
      if (!(r.answers || []).length) $("detail-answers").append(el("li", { text: "No questions answered." }));
      renderDifferential($("detail-diff"), r, 5);
      const reviews = c.reviews || [];
      $("detail-reviews").replaceChildren(...reviews.map((v) => el("p", { class: "small",
        text: `${when(v.created_at)}: ${v.decision === "amend" ? `amended to ${v.condition_name}` : "approved"}${v.comment ? ` (${v.comment})` : ""}` })));
      $("review-message").textContent = "";
      $("condition").value = "";
      $("comment").value = "";
      $("detail-title").focus?.();
      $("detail").scrollIntoView({ block: "start" });
    } catch (e) { showError(e.message); }
  }

  async function submit(body) {
    if (!selected) return;
    try {
      // a review never overwrites another: it names the latest review it replaces (409 if one came meanwhile)
      const previous = selected.reviews || [];
      if (previous.length) body.supersedes = previous[previous.length - 1].id;
      const review = await api(`/v1/reviews/${encodeURIComponent(selected.id)}`, { method: "POST", body });
      selected.reviews = [...previous, review];
      $("review-message").textContent = review.decision === "amend"
        ? `Saved: amended to ${review.condition_name}.` : "Saved: approved.";
      await loadQueue();
    } catch (e) { $("review-message").textContent = e.message; }
  }

  $("approve").addEventListener("click", () => submit({ decision: "approve" }));
  $("amend-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const typed = $("condition").value.trim().toLowerCase();
    const match = conditions.find((c) => c.id === typed || c.name.toLowerCase() === typed
      || `${c.name} (${c.id})`.toLowerCase() === typed);
    if (!match) { $("review-message").textContent = "Pick a condition from the list."; $("condition").focus(); return; }
    submit({ decision: "amend", condition: match.id, comment: $("comment").value.trim() || null });
  });
  $("filter").addEventListener("change", loadQueue);
  $("detail-title").setAttribute("tabindex", "-1");

  api("/v1/knowledge/conditions").then((rows) => {
    conditions = rows;
    $("conditions").replaceChildren(...rows.map((c) => el("option", { value: `${c.name} (${c.id})` })));
  }).catch((e) => showError(e.message));
  loadQueue();
}

// ---------------------------------------------------------------- my health (the health plan)
function healthPage() {
  if (!requireSession(["patient", "clinician", "admin"])) return;
  const order = { overdue: 0, due: 1, needs_information: 2, up_to_date: 3 };
  const words = (s) => String(s || "").replace(/_/g, " ");
  function source(src) {
    if (!src || !src.url) return null;
    return el("a", { href: src.url, rel: "noopener noreferrer", target: "_blank", class: "small" }, " source");
  }
  function render(plan) {
    const safety = $("safety");
    safety.replaceChildren(...plan.safety.map((s) => el("p", { text: s.message })));  // word for word, first
    safety.hidden = plan.safety.length === 0;
    $("risks").replaceChildren(...plan.risks.map((r) => el("li", {},
      el("strong", { text: r.name }), ": ",
      r.applicable ? `${r.value} ${r.unit || ""} ${r.category ? "(" + r.category + ")" : ""}. ${r.interpretation || ""}`
                   : `not calculated: ${r.reason}`, source(r.source))));
    const items = plan.prevention.filter((i) => i.status !== "not_applicable")
      .sort((a, b) => (order[a.status] ?? 9) - (order[b.status] ?? 9));
    $("due").replaceChildren(...items.map((i) => el("li", { "data-status": i.status },
      el("strong", { text: `${capital(words(i.status))}: ${i.name}` }), ` ${i.reason}`, source(i.source))));
    const mr = plan.medication_review;
    $("meds-note").textContent = mr.checked ? mr.note : mr.reason;
    $("meds").replaceChildren(...mr.alerts.map((a) => el("li", {}, el("strong", { text: capital(a.severity) }), `: ${a.title}`)));
    $("goals").replaceChildren(...plan.goals.map((g) => el("li", { "data-status": g.status },
      el("strong", { text: capital(words(g.status)) }), `: ${g.reason}`, source(g.source))));
    const missing = Object.entries(plan.missing).filter(([, names]) => names.length);
    $("missing").replaceChildren(...missing.map(([part, names]) => el("li", { text: `${part}: ${names.map(words).join(", ")}` })));
    $("missing-card").hidden = missing.length === 0;
    $("plan-disclaimer").textContent = plan.disclaimer;
    $("plan").hidden = false;
    (plan.safety.length ? safety : $("plan")).scrollIntoView({ block: "start" });  // what needs a clinician, first
  }
  $("record-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    showError("");
    const file = $("record-file").files[0];
    if (!file) { showError("Choose your record file first."); return; }
    let record;
    try { record = JSON.parse(await file.text()); } catch {
      showError("That file is not JSON. Choose a MedAssist record or a FHIR R4 Bundle (a .json file)."); return;
    }
    try { render(await api("/v1/health/plan", { method: "POST", body: { record } })); }
    catch (e) { showError(e.message); }
  });
}

// ---------------------------------------------------------------- start
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("[data-action=logout]").forEach((b) => b.addEventListener("click", () => logout(true)));
  const page = document.body.dataset.page;
  ({ login: loginPage, patient: patientPage, result: resultPage, review: reviewPage, health: healthPage }[page] || (() => {}))();
});
