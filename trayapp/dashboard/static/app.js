// trayapp dashboard: one page app, no framework. Every word a person reads comes from the server
// or from the small word helpers below (sizes, "3 minutes ago"); raw numbers are never shown.
// The page's own words are said through t() and tn(), or marked with N_() where a table keeps
// them: scripts/i18n finds them (Babel's javascript extractor) and lists them in messages.json,
// and the server puts their translations, from trayapp's catalog, in the page's
// <script type="application/json" id="messages"> block.
"use strict";

const WORDS = readWords();
const LOCALE = document.documentElement.lang || undefined; // dates and numbers in the page's language

function readWords() {
  const block = document.getElementById("messages");
  try { return JSON.parse(block ? block.textContent : "{}") || {}; } catch (e) { return {}; }
}

function fill(text, values) {
  return text.replace(/\{(\w+)\}/g, (whole, name) => (values && name in values ? String(values[name]) : whole));
}

// A message in the page's language with its {named} values filled in: t("{name} stopped", { name }).
function t(msgid, values) { return fill((WORDS.messages || {})[msgid] || msgid, values); }

// The form for the number n ({n} is filled in): English has one form for 1 and one for the rest,
// Chinese one form; the server sends both (the same text twice in Chinese).
function tn(singular, plural, n, values) {
  const forms = (WORDS.plurals || {})[singular] || [singular, plural];
  return fill(forms[n === 1 ? 0 : 1], { n, ...values });
}

function N_(msgid) { return msgid; }

const PAGES = { "/": "overview", "/charts": "charts", "/logs": "logs", "/events": "events",
  "/backups": "backups", "/diagnostics": "diagnostics", "/config": "config" };
const LOG_DOM_CAP = 4000; // lines kept in the page: 10,000-line logs stay smooth
const STATE_ORDER = ["given_up", "unhealthy", "degraded", "starting", "stopped", "attached", "running"];
const STATE_WORDS = { running: N_("Running"), starting: N_("Starting"), unhealthy: N_("Unhealthy"),
  degraded: N_("Degraded"), given_up: N_("Given up"), stopped: N_("Stopped"), attached: N_("Attached") };
const ALL_STATE_WORDS = { running: N_("All running"), starting: N_("All starting"), unhealthy: N_("All unhealthy"),
  degraded: N_("All degraded"), given_up: N_("All given up"), stopped: N_("All stopped"),
  attached: N_("All attached") };

function stateWords(key) { return STATE_WORDS[key] ? t(STATE_WORDS[key]) : key; }

const state = { overview: null, connected: false, page: "overview", program: "" };

// -- small helpers ----------------------------------------------------------------------------

function $(id) { return document.getElementById(id); }

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else if (key === "text") node.textContent = value;
    else node.setAttribute(key, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child !== null && child !== undefined && child !== "") node.append(child);
  }
  return node;
}

// Sizes and ages as trayapp.units says them (the same messages): "52MB", "3 minutes ago".
function sizeWords(bytes) {
  if (typeof bytes !== "number" || !isFinite(bytes)) return "";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes, unit = 0;
  while (Math.abs(value) >= 1000 && unit < units.length - 1) { value /= 1000; unit += 1; }
  const number = unit === 0 || value >= 10 || value === Math.trunc(value) ? String(Math.trunc(value)) : value.toFixed(1);
  return t("{number}{unit}", { number, unit: units[unit] });
}

function agoWords(epoch) {
  if (typeof epoch !== "number") return "";
  const s = Math.max(0, Date.now() / 1000 - epoch);
  if (s < 10) return t("just now");
  if (s < 60) return tn("{n} second ago", "{n} seconds ago", Math.floor(s));
  if (s < 3600) return tn("{n} minute ago", "{n} minutes ago", Math.floor(s / 60));
  if (s < 86400) return tn("{n} hour ago", "{n} hours ago", Math.floor(s / 3600));
  return tn("{n} day ago", "{n} days ago", Math.floor(s / 86400));
}

function clockLabel(epochSeconds, withDate) {
  const d = new Date(epochSeconds * 1000);
  const opts = withDate ? { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", hourCycle: "h23" }
    : { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
  return d.toLocaleString(LOCALE, opts);
}

// -- the server -------------------------------------------------------------------------------

class ApiError extends Error {
  constructor(message, fix) { super(message); this.fix = fix || ""; }
}

async function api(path, body) {
  const init = { headers: { Accept: "application/json" }, credentials: "same-origin" };
  if (body !== undefined) {
    init.method = "POST";
    init.headers["Content-Type"] = "application/json";
    init.headers["X-CSRF-Token"] = document.querySelector('meta[name="csrf-token"]').content;
    init.body = JSON.stringify(body);
  }
  let response;
  try { response = await fetch(path, init); } catch (e) {
    throw new ApiError(t("trayapp is not answering."), t("Check that trayapp is running, then try again."));
  }
  const data = await response.json().catch(() => ({}));
  if (!response.ok) {
    throw new ApiError(data.error || t("The request failed (HTTP {status}).", { status: response.status }), data.fix);
  }
  return data;
}

function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== "" && v !== null && v !== undefined) q.set(k, v);
  return q.toString();
}

// -- banners ----------------------------------------------------------------------------------

function banner(id, kind, message, fix, actions) {
  const old = id ? $(id) : null;
  const box = el("div", { class: `banner ${kind}`, id: id || null, role: kind === "error" ? "alert" : "status" },
    el("div", { class: "text" }, el("strong", { text: message }), fix ? el("span", { class: "fix", text: fix }) : null),
    ...(actions || []));
  if (!id) box.append(el("button", { type: "button", class: "btn secondary small", text: t("Dismiss"),
    onclick: () => box.remove() }));
  if (old) old.replaceWith(box); else $("banners").append(box);
  return box;
}

function dropBanner(id) { const b = $(id); if (b) b.remove(); }

function showError(err) {
  banner(null, "error", sentence(err.message || String(err)), sentence(err.fix));
}

function sentence(text) {
  const s = String(text || "");
  return s ? s[0].toUpperCase() + s.slice(1) : s;
}

function note(message) {
  const box = banner(null, "note", sentence(message), "");
  setTimeout(() => box.remove(), 6000);
}

async function act(button, path, body, after) {
  button.disabled = true;
  try {
    const reply = await api(path, body);
    if (reply && reply.message) note(reply.message);
    if (after) await after(reply);
  } catch (err) { showError(err); } finally { button.disabled = false; }
}

// -- navigation -------------------------------------------------------------------------------

function route() {
  state.page = PAGES[location.pathname] || "overview";
  state.program = new URLSearchParams(location.search).get("program") || state.program;
  for (const section of document.querySelectorAll(".page")) section.hidden = section.id !== `page-${state.page}`;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.dataset.page === state.page) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  document.title = t("{page} · trayapp", { page: $(`page-${state.page}`).querySelector("h1").textContent });
  const load = LOADERS[state.page];
  if (load) load().catch(showError);
}

function go(path) {
  if (path !== location.pathname + location.search) history.pushState(null, "", path);
  route();
}

function onNavClick(event) {
  const link = event.target.closest("a[data-nav]");
  if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  go(link.getAttribute("href"));
}

function programNames() {
  return state.overview ? state.overview.programs.map((p) => [p.program, p.display_name || p.program]) : [];
}

function fillPicker(select, extra) {
  if (!state.overview) return false; // the stream's hello brings the programs, then the page loads
  const wanted = state.program || select.value;
  const names = [...programNames(), ...(extra || [])];
  select.replaceChildren(...names.map(([value, label]) => el("option", { value, text: label })));
  if (names.some(([v]) => v === wanted)) select.value = wanted;
  state.program = select.value;
  return true;
}

function setProgram(name) {
  state.program = name;
  history.replaceState(null, "", `${location.pathname}?${query({ program: name })}`);
}

// -- live updates -----------------------------------------------------------------------------

function connect() {
  const source = new EventSource("/events");
  source.addEventListener("open", () => { state.connected = true; dropBanner("offline"); });
  source.addEventListener("error", () => {
    state.connected = false;
    // A refused stream (signed out, trayapp restarting) is not retried by the browser itself
    if (source.readyState === EventSource.CLOSED) setTimeout(connect, 3000);
    banner("offline", "error", t("trayapp is not answering."),
      t("The page reconnects by itself when trayapp runs again; start it from the menu or with `trayapp run`."));
    renderOverall();
  });
  source.addEventListener("hello", (e) => { state.overview = JSON.parse(e.data); renderAll(); });
  source.addEventListener("status", (e) => onStatus(JSON.parse(e.data)));
  source.addEventListener("removed", (e) => onRemoved(JSON.parse(e.data).program));
  source.addEventListener("extras", (e) => onExtras(JSON.parse(e.data)));
  source.addEventListener("journal", (e) => onJournal(JSON.parse(e.data)));
}

function onStatus(entry) {
  if (!state.overview) return;
  const list = state.overview.programs;
  const at = list.findIndex((p) => p.program === entry.program);
  if (at < 0 || list[at].state !== entry.state) announce(entry); // not every memory reading: only state changes
  if (at >= 0) list[at] = entry; else list.push(entry);
  renderCard(entry);
  renderOverall();
  if (state.page === "charts" && entry.program === state.program) refreshChartsSoon();
}

function refreshChartsSoon() {
  // a status change brings new samples; at most one fetch per CHART_REFRESH_MS
  if (charts.timer) return;
  charts.timer = setTimeout(() => { charts.timer = null; if (state.page === "charts") loadCharts().catch(showError); },
    CHART_REFRESH_MS);
}

function announce(entry) {
  const view = entry.view || {};
  $("announce").textContent = `${entry.display_name || entry.program}: ${view.phrase || entry.state}`;
}

function onRemoved(name) {
  if (!state.overview) return;
  state.overview.programs = state.overview.programs.filter((p) => p.program !== name);
  const card = document.querySelector(`.card[data-program="${CSS.escape(name)}"]`);
  if (card) card.remove();
  renderOverall();
}

function onExtras(extras) {
  if (!state.overview) return;
  Object.assign(state.overview, extras);
  renderGlance();
  renderConfigBanner();
  if (state.page === "backups") renderBackupProgress(extras.backup);
}

function renderAll() {
  renderOverall();
  renderGlance();
  renderConfigBanner();
  const box = $("programs");
  box.replaceChildren();
  for (const entry of state.overview.programs) renderCard(entry);
  if (!state.overview.programs.length) box.append(el("p", { class: "muted", text: t("No programs are configured.") }));
  if (state.page !== "overview") LOADERS[state.page]().catch(showError);
}

// -- overview ---------------------------------------------------------------------------------

function worstKey() {
  const keys = (state.overview ? state.overview.programs : []).map((p) => p.view && p.view.icon_key);
  return STATE_ORDER.find((k) => keys.includes(k)) || "stopped";
}

function renderOverall() {
  const pill = $("overall");
  document.body.classList.toggle("offline", !!state.overview && !state.connected); // what is shown may be stale
  if (!state.connected && !state.overview) { pill.textContent = t("connecting…"); return; }
  if (!state.connected) { pill.className = "pill st-given_up"; pill.textContent = t("Not answering"); return; }
  const problems = state.overview.config && state.overview.config.problems || [];
  const key = problems.length ? "given_up" : worstKey();
  pill.className = `pill st-${key}`;
  pill.textContent = problems.length ? t("Config error") : overallWords(key);
}

function overallWords(key) {
  const programs = state.overview.programs;
  if (!programs.length) return t("Nothing to watch");
  const worst = programs.filter((p) => p.view && p.view.icon_key === key);
  if (worst.length === programs.length && ALL_STATE_WORDS[key]) {
    return programs.length === 1 ? stateWords(key) : t(ALL_STATE_WORDS[key]);
  }
  const names = worst.map((p) => p.display_name || p.program).join(t(", "));
  return t("{state}: {programs}", { state: stateWords(key), programs: names });
}

function renderConfigBanner() {
  const config = state.overview.config || {};
  const problems = config.problems || [];
  if (!problems.length) { dropBanner("config-problems"); return; }
  banner("config-problems", "error",
    tn("config.toml has {n} problem: {problem}", "config.toml has {n} problems: {problem}", problems.length,
      { problem: problems[0] }),
    t("The file is {path}. Fix it, then reload.", { path: config.path }),
    [el("button", { type: "button", class: "btn secondary small", text: t("Show the config"), onclick: () => go("/config") })]);
}

function fact(label, value) {
  return value ? el("div", {}, el("dt", { text: label }), el("dd", { text: value })) : null;
}

const VERB_LABELS = { start: N_("Start {name}"), restart: N_("Restart {name}"), stop: N_("Stop {name}") };

function controlButtons(entry) {
  const view = entry.view || {};
  const name = entry.display_name || entry.program;
  const verb = (v, label, kind) => el("button", { type: "button", class: `btn ${kind}`, "data-verb": v, text: t(label),
    "aria-label": t(VERB_LABELS[v], { name }),
    onclick: (e) => act(e.currentTarget, `/api/programs/${encodeURIComponent(entry.program)}/${v}`, {}) });
  return el("div", { class: "actions" },
    view.can_start ? verb("start", N_("Start"), "primary") : null,
    view.can_restart ? verb("restart", N_("Restart"), "secondary") : null,
    view.can_stop ? verb("stop", N_("Stop"), "danger") : null,
    entry.own_ui ? el("a", { class: "btn secondary", href: entry.own_ui, target: "_blank", rel: "noopener noreferrer",
      text: t("Open {name}'s own UI", { name }) }) : null,
    el("a", { class: "btn secondary", href: `/logs?${query({ program: entry.program })}`, "data-nav": true, text: t("Logs") }));
}

function crashBox(entry) {
  const report = entry.last_crash;
  if (!report) return null;
  const crash = entry.crash_words || report;  // the words in the user's language, made by the server
  const excerpt = Array.isArray(report.excerpt) ? report.excerpt.join("\n") : "";
  const copy = el("button", { type: "button", class: "btn secondary small", text: t("Copy the report"),
    onclick: () => copyText(entry.crash_report_text || [crash.headline, crash.cause, crash.fix, excerpt].join("\n")) });
  return el("section", { class: "crash", "aria-label": t("Last crash") },
    el("h3", { text: t("Last crash: {headline}", { headline: crash.headline || t("it stopped unexpectedly") }) }),
    // TRANSLATORS: a label before the crash's cause and its fix; the space after it is part of it.
    crash.cause ? el("p", {}, el("strong", { text: t("Cause: ") }), crash.cause) : null,
    crash.fix ? el("p", {}, el("strong", { text: t("Fix: ") }), crash.fix) : null,
    excerpt ? el("pre", { text: excerpt }) : null, copy);
}

async function copyText(text) {
  try { await navigator.clipboard.writeText(text); note(t("The crash report is on the clipboard.")); } catch (e) {
    showError(new ApiError(t("The browser did not allow copying."), t("Select the report's text and copy it by hand.")));
  }
}

function renderCard(entry) {
  const view = entry.view || {};
  const key = view.icon_key || "stopped";
  const health = ["none", "unknown", ""].includes(entry.health || "") ? t("not checked")
    : entry.health_detail_words ? t("{health}: {detail}", { health: healthWords(entry.health), detail: entry.health_detail_words })
      : healthWords(entry.health);
  const phrase = (view.phrase || "").toLowerCase() === stateWords(key).toLowerCase() ? "" : view.phrase;
  const card = el("article", { class: "card", "data-program": entry.program, "data-pid": entry.pid || "",
    "data-state": entry.state || "", "aria-labelledby": `card-${entry.program}` },
    el("header", {}, el("h2", { id: `card-${entry.program}`, text: entry.display_name || entry.program }),
      el("span", { class: `badge st-${key}`, text: stateWords(key) })),
    phrase ? el("p", { class: "phrase", text: phrase }) : null,
    view.cannot_answer ? el("p", { class: "cannot", text: view.cannot_answer }) : null,
    el("dl", { class: "facts" }, fact(t("Health"), health), fact(t("Up for"), entry.uptime_words),
      fact(t("Restarts today"), String(entry.restarts_today ?? 0)), fact(t("Memory"), entry.memory_words),
      fact(t("CPU"), entry.cpu_words), fact(t("Process"), entry.pid ? t("pid {pid}", { pid: entry.pid }) : ""),
      fact(t("Mode"), entry.mode === "attach" ? t("run elsewhere") : "")),
    entry.health_fix_words ? el("p", { class: "muted", text: entry.health_fix_words }) : null,
    crashBox(entry), controlButtons(entry));
  const old = document.querySelector(`.card[data-program="${CSS.escape(entry.program)}"]`);
  if (old) old.replaceWith(card); else { $("programs").querySelector("p.muted")?.remove(); $("programs").append(card); }
}

const HEALTH_WORDS = { healthy: N_("healthy"), degraded: N_("degraded"), unhealthy: N_("unhealthy"),
  starting: N_("starting") };

function healthWords(health) { return HEALTH_WORDS[health] ? t(HEALTH_WORDS[health]) : health; }

function renderGlance() {
  const o = state.overview;
  $("glance").replaceChildren(diskTile(o.disk || []), backupTile(o.backup || {}), notifyTile(o.notifications || {}));
}

function diskTile(disks) {
  const worst = ["critical", "warn"].find((l) => disks.some((d) => d.level === l)) || "ok";
  const words = { ok: N_("Enough space"), warn: N_("Space is running low"), critical: N_("Almost no space left") };
  const lines = disks.map((d) => d.words || t("{path}: {free} free of {total}",
    { path: d.path, free: sizeWords(d.free), total: sizeWords(d.total) }));
  return el("section", { class: "tile", "aria-label": t("Disk") }, el("h2", { text: t("Disk") }),
    el("span", { class: `badge ${worst === "critical" ? "fail" : worst}`, text: t(words[worst]) }),
    ...lines.map((t) => el("div", { class: "muted", text: t })));
}

function backupProgress(b) {
  if (b.running && typeof b.running === "object") return b.running;
  return b.running || b.busy ? { percent: b.percent, words: b.words || b.progress, phase: b.phase } : null;
}

function backupTile(b) {
  const running = backupProgress(b);
  const last = b.last_ok_words || (typeof b.last_ok_at === "number"
    ? t("last good backup {ago}", { ago: agoWords(b.last_ok_at) }) : t("no backup yet"));
  return el("section", { class: "tile", "aria-label": t("Backups") }, el("h2", { text: t("Backups") }),
    el("div", { text: sentence(running ? (running.words || t("A backup is running")) : last) }),
    el("a", { href: "/backups", "data-nav": true, text: t("Open backups") }));
}

function notifyTile(n) {
  const paused = typeof n.paused_until === "number" && n.paused_until * 1000 > Date.now();
  const words = paused ? (n.paused_words || t("Notifications are paused")) : t("Notifications are on");
  const button = paused
    ? el("button", { type: "button", class: "btn secondary", id: "notify-toggle", text: t("Resume notifications"),
      onclick: (e) => act(e.currentTarget, "/api/notifications", { resume: true }) })
    : el("button", { type: "button", class: "btn secondary", id: "notify-toggle", text: t("Pause for 1 hour"),
      onclick: (e) => act(e.currentTarget, "/api/notifications", { pause_seconds: 3600 }) });
  return el("section", { class: "tile", "aria-label": t("Notifications") }, el("h2", { text: t("Notifications") }),
    el("div", { text: words }), button);
}

// -- charts -----------------------------------------------------------------------------------

const charts = { span: 3600, data: null, timer: null };
const CHART_REFRESH_MS = 5000;
const MARK_COLOURS = { crash: "#dc2626", restart: "#f59e0b", start: "#16a34a", stop: "#64748b" };

async function loadCharts() {
  if (!fillPicker($("chart-program")) || !state.program) return;
  const data = await api(`/api/metrics?${query({ program: state.program, span: charts.span })}`);
  charts.data = data;
  const summary = data.summary || {};
  $("chart-summary").textContent = [summary.memory_words, summary.cpu_words].filter(Boolean).join(" · ")
    || (data.points && data.points.length ? "" : t("No samples yet in this span."));
  drawCharts();
}

function drawCharts() {
  const data = charts.data;
  drawChart($("chart-memory"), data, 1, sizeWords, data.memory_limit);
  drawChart($("chart-cpu"), data, 2, (v) => `${v < 10 && v % 1 ? v.toFixed(1) : Math.round(v)}%`, null);
}

function niceStep(range, ticks) {
  const raw = range / ticks;
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  return [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
}

function chartFrame(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth, height = canvas.clientHeight;
  canvas.width = width * ratio; canvas.height = height * ratio;
  const ctx = canvas.getContext("2d");
  ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
  const css = getComputedStyle(document.body);
  return { ctx, width, height, color: css.color, muted: getComputedStyle($("chart-summary")).color,
    pad: { left: 72, right: 16, top: 22, bottom: 28 } };
}

function drawChart(canvas, data, column, label, limit) {
  const f = chartFrame(canvas);
  const points = (data.points || []).filter((p) => typeof p[column] === "number");
  const now = Date.now() / 1000, x0 = chartStart(now, points, data.marks || []), width = now - x0;
  // a floor for the scale: an idle program reads "0 to 5%", not a magnified 0.25% step
  let top = Math.max(column === 1 ? 1e6 : 5, ...points.map((p) => p[column]), limit || 0);
  const step = niceStep(top, 4); top = Math.ceil(top / step) * step;
  const plot = { x: (t) => f.pad.left + (t - x0) / width * (f.width - f.pad.left - f.pad.right),
    y: (v) => f.height - f.pad.bottom - v / top * (f.height - f.pad.top - f.pad.bottom) };
  drawAxes(f, plot, top, step, x0, now, label);
  drawMarks(f, plot, data.marks || [], x0);
  if (limit) drawLimit(f, plot, limit, label);
  drawLine(f, plot, points, column, column === 1 ? "#2563eb" : "#0d9488");
  canvas._chart = { plot, points, column, label, f };
  if (!points.length) {
    f.ctx.fillStyle = f.muted; f.ctx.textAlign = "center";
    f.ctx.fillText(t("No samples in this span yet"), f.width / 2, f.height / 2);
  }
}

// The time line starts at the first sample (at least 5 minutes back, at most the span): three
// minutes of samples fill the chart instead of a sliver at the right edge of an empty hour.
function chartStart(now, points, marks) {
  const first = Math.min(now - 300, ...points.map((p) => p[0]), ...marks.map((m) => m.ts));
  return Math.max(now - charts.span, first);
}

// About six time labels whatever the width: every 1, 2, 5, 10, 15 or 30 minutes, or 1, 2, 3 or 6 hours.
function timeStep(width) {
  const steps = [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600];
  return steps.find((s) => width / s <= 7) || steps[steps.length - 1];
}

function drawAxes(f, plot, top, step, x0, now, label) {
  const { ctx } = f;
  ctx.font = "12px system-ui, sans-serif"; ctx.strokeStyle = "rgba(128,128,128,0.25)"; ctx.fillStyle = f.muted;
  ctx.textAlign = "right"; ctx.textBaseline = "middle";
  for (let v = 0; v <= top + step / 2; v += step) {
    const y = plot.y(v);
    ctx.beginPath(); ctx.moveTo(f.pad.left, y); ctx.lineTo(f.width - f.pad.right, y); ctx.stroke();
    ctx.fillText(v === 0 ? "0" : label(v), f.pad.left - 8, y);
  }
  const tickEvery = timeStep(now - x0);
  ctx.textAlign = "center"; ctx.textBaseline = "top";
  for (let t = Math.ceil(x0 / tickEvery) * tickEvery; t <= now; t += tickEvery) {
    const x = plot.x(t);
    ctx.beginPath(); ctx.moveTo(x, f.pad.top); ctx.lineTo(x, f.height - f.pad.bottom); ctx.stroke();
    ctx.fillText(clockLabel(t, false), x, f.height - f.pad.bottom + 6);
  }
}

function drawMarks(f, plot, marks, x0) {
  for (const mark of marks) {
    if (mark.ts < x0) continue;
    const x = plot.x(mark.ts);
    f.ctx.strokeStyle = MARK_COLOURS[mark.kind] || "#94a3b8";
    f.ctx.setLineDash([4, 3]); f.ctx.beginPath();
    f.ctx.moveTo(x, f.pad.top); f.ctx.lineTo(x, f.height - f.pad.bottom); f.ctx.stroke(); f.ctx.setLineDash([]);
  }
}

function drawLimit(f, plot, limit, label) {
  const y = plot.y(limit);
  f.ctx.strokeStyle = "#dc2626"; f.ctx.beginPath(); f.ctx.moveTo(f.pad.left, y); f.ctx.lineTo(f.width - f.pad.right, y);
  f.ctx.stroke(); f.ctx.fillStyle = "#dc2626"; f.ctx.textAlign = "right"; f.ctx.textBaseline = "bottom";
  f.ctx.fillText(t("limit {size}", { size: label(limit) }), f.width - f.pad.right - 4, y - 2);
}

function drawLine(f, plot, points, column, color) {
  const { ctx } = f;
  ctx.strokeStyle = color; ctx.lineWidth = 2; ctx.beginPath();
  points.forEach((p, i) => (i ? ctx.lineTo(plot.x(p[0]), plot.y(p[column])) : ctx.moveTo(plot.x(p[0]), plot.y(p[column]))));
  ctx.stroke(); ctx.lineWidth = 1;
  ctx.fillStyle = color; // dots where the samples are few (a fresh start), and at the newest one
  const dots = points.length < 30 ? points : points.slice(-1);
  for (const p of dots) { ctx.beginPath(); ctx.arc(plot.x(p[0]), plot.y(p[column]), 3, 0, 2 * Math.PI); ctx.fill(); }
}

function onChartHover(event) {
  const chart = event.currentTarget._chart, readout = $("chart-readout");
  if (!chart || !chart.points.length) { readout.hidden = true; return; }
  const rect = event.currentTarget.getBoundingClientRect(), x = event.clientX - rect.left;
  const nearest = chart.points.reduce((a, p) => (Math.abs(chart.plot.x(p[0]) - x) < Math.abs(chart.plot.x(a[0]) - x) ? p : a));
  const mark = (charts.data.marks || []).find((m) => Math.abs(chart.plot.x(m.ts) - x) < 4);
  readout.textContent = `${clockLabel(nearest[0], charts.span > 3600)}: ${chart.label(nearest[chart.column])}${mark ? " · " + mark.sentence : ""}`;
  readout.style.left = `${event.clientX + 14}px`; readout.style.top = `${event.clientY + 14}px`; readout.hidden = false;
}

// -- logs -------------------------------------------------------------------------------------

const logs = { source: null, before: null, pending: [] };

function logLine(line) {
  if (line.mark) {
    return el("div", { class: `line mark mark-${line.mark}`, "data-cursor": line.cursor ?? "", "data-ts": line.ts ?? "" },
      el("span", { class: "t", text: line.time || "" }), el("span", { class: "x", text: line.text }));
  }
  return el("div", { class: `line ${line.stream || ""} lv-${line.level || "info"}`, "data-cursor": line.cursor ?? "",
    "data-ts": line.ts ?? "" },
    el("span", { class: "t", text: line.time || "" }), el("span", { class: "x", text: line.text }));
}

function logParams(extra) {
  return query({ program: state.program, level: $("log-level").value, stream: $("log-stream").value, ...extra });
}

async function loadLogs(extra) {
  if (!fillPicker($("log-program"), [["trayapp", t("trayapp itself")]]) || !state.program) return;
  $("log-download").href = `/api/logs/download?${query({ program: state.program })}`;
  const data = await api(`/api/logs?${logParams({ limit: 500, ...(extra || {}) })}`);
  logs.before = data.before;
  logs.pending.length = 0; // lines of the stream being replaced
  $("log-lines").replaceChildren(...data.lines.map(logLine));
  $("log-earlier").disabled = data.before === null || data.before === undefined;
  $("log-status").textContent = data.lines.length ? "" : t("No lines match here.");
  follow(!extra && $("log-follow").checked);
  if (!extra) scrollToEnd(); else if (extra.at !== undefined) showAt(extra.at);
}

function showAt(at) {
  const rows = [...document.querySelectorAll("#log-lines .line")];
  const row = at === "last_crash" ? rows.filter((r) => r.classList.contains("mark-crash")).pop()
    : rows.find((r) => Number(r.dataset.ts) >= at);
  if (!row) { $("log-status").textContent = at === "last_crash" ? t("No crash is in the log.") : ""; return; }
  document.querySelectorAll("#log-lines .hit").forEach((r) => r.classList.remove("hit"));
  row.classList.add("hit");
  row.scrollIntoView({ block: "center" });
}

async function loadEarlier() {
  if (logs.before === null || logs.before === undefined) return;
  const view = $("log-view"), height = view.scrollHeight;
  const data = await api(`/api/logs?${logParams({ limit: 500, before: logs.before })}`);
  logs.before = data.before;
  const box = $("log-lines");
  box.prepend(...data.lines.map(logLine));
  if (box.childElementCount > LOG_DOM_CAP) stopFollowing();
  while (box.childElementCount > LOG_DOM_CAP) box.lastElementChild.remove(); // the newest go: Follow brings them back
  $("log-earlier").disabled = data.before === null || data.before === undefined;
  view.scrollTop += view.scrollHeight - height;
  if (!data.lines.length) $("log-status").textContent = t("Nothing matched in that stretch; Load earlier looks further back.");
}

function follow(on) {
  if (logs.source) { logs.source.close(); logs.source = null; }
  if (!on || state.page !== "logs") return;
  logs.source = new EventSource(`/api/logs/stream?${query({ program: state.program })}`);
  logs.source.addEventListener("line", (e) => appendLine(JSON.parse(e.data)));
  logs.source.addEventListener("error", (e) => {
    if (e.data) { const err = JSON.parse(e.data); showError(new ApiError(err.error, err.fix)); follow(false); }
  });
}

function stopFollowing() {
  $("log-follow").checked = false;
  follow(false);
}

function passes(line) {
  const level = $("log-level").value, stream = $("log-stream").value;
  const rank = { error: 2, warning: 1 };
  if (stream && line.stream !== stream && !line.mark) return false;
  return !level || (rank[line.level] || 0) >= rank[level];
}

function appendLine(line) {
  if (!passes(line)) return;
  // Lines arrive in bursts: one layout per frame, not one per line (10,000 lines stay smooth)
  logs.pending.push(line);
  if (logs.pending.length === 1) requestAnimationFrame(flushLines);
}

function flushLines() {
  const view = $("log-view"), box = $("log-lines");
  const atEnd = view.scrollTop + view.clientHeight >= view.scrollHeight - 40;
  const lines = logs.pending.splice(0).slice(-LOG_DOM_CAP);
  const fragment = document.createDocumentFragment();
  fragment.append(...lines.map(logLine));
  box.append(fragment);
  const extra = box.childElementCount - LOG_DOM_CAP;
  for (let i = 0; i < extra; i++) box.firstElementChild.remove();
  if (extra > 0) logs.before = box.firstElementChild.dataset.cursor || logs.before;
  if (atEnd) scrollToEnd();
}

function scrollToEnd() { const view = $("log-view"); view.scrollTop = view.scrollHeight; }

function highlight(text, q, regex) {
  let pattern;
  try { pattern = new RegExp(regex ? q : q.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "giu"); } catch (e) { return [text]; }
  const parts = []; let last = 0;
  for (const m of text.matchAll(pattern)) {
    if (!m[0]) break;
    parts.push(text.slice(last, m.index), el("mark", { text: m[0] })); last = m.index + m[0].length;
  }
  parts.push(text.slice(last));
  return parts;
}

async function search(cursor) {
  const q = $("log-q").value, regex = $("log-regex").checked, box = $("log-results");
  if (!q) { box.hidden = true; return; }
  box.hidden = false;
  if (!cursor) box.replaceChildren(el("p", { class: "muted", text: t("Searching…") }));
  const data = await api(`/api/logs/search?${query({ program: state.program, q, regex: regex ? 1 : "", limit: 200, cursor })}`);
  box.querySelector("p")?.remove();
  for (const m of data.matches) {
    box.append(el("button", { type: "button", class: "match", onclick: () => jumpTo(m) },
      `${m.time || ""}  `, ...highlight(m.text, q, regex)));
  }
  const found = box.querySelectorAll("button.match").length;
  const what = found ? tn("{n} line found", "{n} lines found", found) : t("Nothing found");
  box.prepend(el("p", { class: "muted", "aria-live": "polite",
    text: data.took_words ? t("{found}: {took}.", { found: what, took: data.took_words }) : t("{found}.", { found: what }) }));
  if (!data.done && data.cursor) {
    box.append(el("button", { type: "button", class: "more", text: t("Search further back"),
      onclick: (e) => { e.currentTarget.remove(); search(data.cursor).catch(showError); } }));
  }
}

async function jumpTo(match) {
  $("log-follow").checked = false;
  await loadLogs({ at: match.ts });
  const rows = [...document.querySelectorAll("#log-lines .line")];
  const row = rows.find((r) => match.cursor !== undefined && r.dataset.cursor === String(match.cursor))
    || rows.find((r) => r.querySelector(".x").textContent === match.text);
  if (row) {
    document.querySelectorAll("#log-lines .hit").forEach((r) => r.classList.remove("hit"));
    row.classList.add("hit"); row.scrollIntoView({ block: "center" });
  }
}

// -- events -----------------------------------------------------------------------------------

const events = { before: null };  // the opaque place the API gave for the next older page

function eventRow(e) {
  return el("tr", { class: `sev-${e.severity || "info"}` },
    el("td", { class: "nowrap", text: e.time_words || "" }), el("td", { class: "nowrap", text: e.display_name || e.program || "trayapp" }),
    el("td", { text: e.sentence || "" }));
}

function fillFilter(select, values, allLabel) {
  const keep = select.value;
  select.replaceChildren(el("option", { value: "", text: allLabel }),
    ...(values || []).map((v) => (Array.isArray(v) ? el("option", { value: v[0], text: v[1] })
      : typeof v === "object" ? el("option", { value: v.program || v.kind || v.value, text: v.display_name || v.label || v.program || v.kind })
        : el("option", { value: v, text: v }))));
  select.value = keep;
}

async function loadEvents(more) {
  const params = { program: $("ev-program").value, kind: $("ev-kind").value, limit: 100, before: more ? events.before || "" : "" };
  const data = await api(`/api/events?${query(params)}`);
  const rows = data.events || [];
  if (!more) {
    fillFilter($("ev-program"), data.programs && data.programs.length ? data.programs : programNames(), t("all programs"));
    fillFilter($("ev-kind"), (data.kinds || []).map((k) => [k, (data.kind_words || {})[k] || k]), t("all kinds"));
    $("ev-rows").replaceChildren();
  }
  $("ev-rows").append(...rows.map(eventRow));
  events.before = data.before || null;
  $("ev-more").disabled = !events.before;
  if (!$("ev-rows").childElementCount) $("ev-rows").append(el("tr", {}, el("td", { colspan: 3, class: "muted", text: t("No events yet.") })));
}

function onJournal(e) {
  if (state.page !== "events") return;
  const program = $("ev-program").value, kind = $("ev-kind").value;
  if ((program && e.program !== program) || (kind && e.kind !== kind)) return;
  $("ev-rows").querySelector("td[colspan]")?.parentElement.remove();
  $("ev-rows").prepend(eventRow(e));
}

// -- backups ----------------------------------------------------------------------------------

async function loadBackups() {
  const data = await api("/api/backups");
  const due = data.scheduled ? data.next_due_words : "";
  const parts = [data.last_ok_words, due, data.schedule_words, data.dest ? t("kept in {folder}", { folder: data.dest }) : ""];
  // TRANSLATORS: one sentence of the Backups page's summary; sentences follow each other with no separator.
  $("bk-summary").textContent = parts.filter(Boolean).map((s) => t("{sentence}. ", { sentence: sentence(s) })).join("").trim();
  $("bk-rows").replaceChildren(...(data.backups || []).map(backupRow));
  if (!(data.backups || []).length) $("bk-rows").append(el("tr", {}, el("td", { colspan: 5, class: "muted", text: t("No backups yet.") })));
  renderBackupProgress(data.running ? { running: data.running } : (state.overview || {}).backup || {});
}

function backupRow(b) {
  const badge = b.verified === true ? "ok" : b.verified === false ? "fail" : "info";
  return el("tr", { "data-backup": b.name },
    el("td", {}, el("code", { text: b.name })), el("td", { text: b.created_words || "" }), el("td", { class: "nowrap", text: b.size_words || "" }),
    el("td", {}, el("span", { class: `badge ${badge}`, text: b.verified_words || t("not checked") })),
    el("td", {}, el("div", { class: "actions" },
      el("button", { type: "button", class: "btn secondary small", text: t("Verify"),
        onclick: (e) => act(e.currentTarget, `/api/backups/${encodeURIComponent(b.name)}/verify`, {}) }),
      el("button", { type: "button", class: "btn danger small", text: t("Restore…"), onclick: (e) => previewRestore(e.currentTarget, b.name) }))));
}

let backupWasRunning = false;

function renderBackupProgress(b) {
  const running = backupProgress(b || {});
  $("bk-progress").hidden = !running;
  $("bk-now").disabled = !!running;
  if (running) {
    if (typeof running.percent === "number") $("bk-bar").value = running.percent; else $("bk-bar").removeAttribute("value");
    $("bk-words").textContent = running.words || t("Working…");
  } else if (backupWasRunning && state.page === "backups") {
    loadBackups().catch(showError);
  }
  backupWasRunning = !!running;
}

async function previewRestore(button, name) {
  button.disabled = true;
  try {
    const preview = await api(`/api/backups/${encodeURIComponent(name)}/restore`, { dry_run: true });
    const lines = preview.sentences || preview.lines || [];
    $("rd-title").textContent = t("Restore {name}?", { name });
    $("rd-lines").replaceChildren(...lines.map((s) => el("li", { text: s })));
    $("rd-name").textContent = name; $("rd-confirm").value = ""; $("rd-go").disabled = true;
    $("restore-dialog").dataset.name = name;
    $("restore-dialog").showModal();
  } catch (err) { showError(err); } finally { button.disabled = false; }
}

async function confirmRestore(event) {
  event.preventDefault();
  const dialog = $("restore-dialog"), name = dialog.dataset.name;
  if ($("rd-confirm").value !== name) return;
  dialog.close();
  await act($("rd-go"), `/api/backups/${encodeURIComponent(name)}/restore`, { confirm: name });
}

// -- diagnostics ------------------------------------------------------------------------------

async function loadDoctor(fresh = false) {
  $("dx-summary").textContent = t("Running the checks…");
  const data = await api(fresh ? "/api/doctor?fresh=1" : "/api/doctor");
  $("dx-summary").textContent = data.summary || "";
  $("dx-checks").replaceChildren(...(data.checks || []).map(checkItem));
}

function checkItem(c) {
  const words = { ok: N_("OK"), warn: N_("Warning"), fail: N_("Problem"), info: N_("Note") };
  const evidence = (c.evidence || []).filter((line) => line && line !== c.detail);
  return el("li", { class: c.status, "data-check": c.id },
    el("div", { class: "row" }, el("span", { class: `badge ${c.status}`, text: words[c.status] ? t(words[c.status]) : c.status }),
      el("strong", { text: c.title || c.id }),
      c.fix ? el("button", { type: "button", class: "btn primary small", "data-fix": c.fix.id, text: c.fix.label || t("Fix"),
        title: c.fix.what || "", onclick: (e) => act(e.currentTarget, `/api/doctor/fix/${encodeURIComponent(c.fix.id)}`, {}, loadDoctor) }) : null),
    c.detail ? el("p", { class: "detail", text: c.detail }) : null,
    c.advice && c.status !== "ok" ? el("p", { class: "advice", text: c.advice }) : null,
    evidence.length ? el("details", {}, el("summary", { text: t("Evidence") }), el("pre", { text: evidence.join("\n") })) : null);
}

// -- config -----------------------------------------------------------------------------------

async function loadConfig() {
  const data = await api("/api/config");
  $("cf-path").textContent = data.path || "";
  const problems = data.problems || [];
  $("cf-problems").replaceChildren(...problems.map((p) => el("li", { text: p })));
  if (!problems.length) $("cf-problems").append(el("li", { class: "fine", text: t("No problems: trayapp uses this file as it is.") }));
  $("cf-text").textContent = data.exists === false ? t("(there is no config file yet: trayapp uses its defaults)") : data.text;
}

// -- start ------------------------------------------------------------------------------------

const LOADERS = {
  overview: async () => { follow(false); },
  charts: async () => { follow(false); await loadCharts(); },
  logs: async () => { await loadLogs(); },
  events: async () => { follow(false); await loadEvents(false); },
  backups: async () => { follow(false); await loadBackups(); },
  diagnostics: async () => { follow(false); await loadDoctor(); },
  config: async () => { follow(false); await loadConfig(); },
};

function wire() {
  document.addEventListener("click", onNavClick);
  window.addEventListener("popstate", route);
  const onPick = (e) => { setProgram(e.target.value); route(); };
  $("chart-program").addEventListener("change", onPick);
  $("log-program").addEventListener("change", onPick);
  for (const button of document.querySelectorAll("[data-span]")) {
    button.addEventListener("click", () => {
      charts.span = Number(button.dataset.span);
      document.querySelectorAll("[data-span]").forEach((b) => b.setAttribute("aria-pressed", String(b === button)));
      loadCharts().catch(showError);
    });
  }
  for (const canvas of [$("chart-memory"), $("chart-cpu")]) {
    canvas.addEventListener("mousemove", onChartHover);
    canvas.addEventListener("mouseleave", () => { $("chart-readout").hidden = true; });
  }
  wireLogs();
  $("ev-program").addEventListener("change", () => loadEvents(false).catch(showError));
  $("ev-kind").addEventListener("change", () => loadEvents(false).catch(showError));
  $("ev-more").addEventListener("click", () => loadEvents(true).catch(showError));
  $("bk-now").addEventListener("click", (e) => act(e.currentTarget, "/api/backups", {}));
  $("dx-rerun").addEventListener("click", () => loadDoctor(true).catch(showError));
  $("cf-reload").addEventListener("click", (e) => act(e.currentTarget, "/api/reload", {}, loadConfig));
  $("rd-confirm").addEventListener("input", () => { $("rd-go").disabled = $("rd-confirm").value !== $("restore-dialog").dataset.name; });
  $("rd-form").addEventListener("submit", (e) => confirmRestore(e).catch(showError));
  $("rd-cancel").addEventListener("click", () => $("restore-dialog").close());
  window.addEventListener("resize", () => { if (state.page === "charts" && charts.data) drawCharts(); });
}

function wireLogs() {
  const reload = () => loadLogs().catch(showError);
  $("log-level").addEventListener("change", reload);
  $("log-stream").addEventListener("change", reload);
  $("log-follow").addEventListener("change", (e) => (e.target.checked ? reload() : follow(false)));
  $("log-wrap").addEventListener("change", (e) => $("log-view").classList.toggle("wrap", e.target.checked));
  $("log-earlier").addEventListener("click", () => loadEarlier().catch(showError));
  $("log-search-form").addEventListener("submit", (e) => { e.preventDefault(); search("").catch(showError); });
  $("log-crash").addEventListener("click", () => { $("log-follow").checked = false; loadLogs({ at: "last_crash" }).catch(showError); });
  $("log-jump").addEventListener("click", () => {
    const when = $("log-time").value;
    if (!when) { showError(new ApiError(t("Pick a time first."), t("Choose a date and time, then press Go."))); return; }
    $("log-follow").checked = false;
    loadLogs({ at: Math.floor(new Date(when).getTime() / 1000) }).catch(showError);
  });
}

document.addEventListener("DOMContentLoaded", () => {
  wire();
  connect();
  route();
});
