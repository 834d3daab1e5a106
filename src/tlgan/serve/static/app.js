// tlgan editor client: sliders over feature axes; at most one render request in flight (rapid slider
// events are coalesced into the latest state), undo history, JSON export/import, keyboard shortcuts.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { seed: 0, z: null, edits: {}, lock: [], keep_norm: false };
let info = null, history = [], inFlight = false, dirty = false, lastImage = null, baseAttrs = {}, sweepAxis = null;

// body[data-busy]: how many requests to the server are unanswered (the browser tests wait for 0)
let busy = 0;
async function call(path, options) {
  document.body.dataset.busy = ++busy;
  try {
    const r = await fetch(path, options);
    return { r, data: await r.json() };
  } finally {
    document.body.dataset.busy = --busy;
  }
}

async function api(path, body) {
  const { r, data } = await call(path, body === undefined ? {} : {
    method: "POST", headers: { "Content-Type": "application/json" }, body: JSON.stringify(body) });
  if (!r.ok) throw new Error(data.detail || r.statusText);
  return data;
}

function status(msg) { $("status").textContent = msg; }

function snapshot() { return JSON.stringify({ seed: state.seed, z: state.z, edits: state.edits, lock: state.lock, keep_norm: state.keep_norm }); }

function pushHistory() {
  const s = snapshot();
  if (history[history.length - 1] !== s) history.push(s);
  if (history.length > 200) history.shift();
}

// Unsupervised directions (GANSpace / SeFa) move in units of σ, the prior's spread along them: λ = slider · σ.
function sigmaOf(name) {
  const ax = info.axes.find((a) => a.name === name);
  return ax && ax.group === "unsupervised" ? (ax.quality.sigma || 1) : 1;
}

function showPanel(group) {
  for (const row of document.querySelectorAll(".axis")) row.hidden = row.dataset.group !== group;
  for (const b of document.querySelectorAll("#panels button")) b.setAttribute("aria-pressed", b.dataset.group === group);
}

function buildPanels() {
  const box = $("panels");
  const hasDirections = info.axes.some((a) => a.group === "unsupervised");
  box.hidden = !hasDirections;
  if (!hasDirections) return;
  box.innerHTML = `<button data-group="supervised" title="axes fitted on an extractor's labels (TL-GAN)">Supervised axes</button>
    <button data-group="unsupervised" title="directions found without labels; each is named by the attributes it moves most">Unsupervised directions (${info.directions_method})</button>`;
  for (const b of box.querySelectorAll("button")) b.onclick = () => showPanel(b.dataset.group);
}

// A supervised axis's held-out fit as [text, tooltip]. A figure the fit could not measure is null in axes.json
// (an AUC where the held-out samples held one class only): shown as "–", never a broken page.
function fitQuality(q) {
  const num = (x) => typeof x === "number";
  if ("auc" in q) return num(q.auc) ? [`AUC ${q.auc.toFixed(2)}`, "held-out AUC of this axis: 0.5 = chance, 1 = perfect"]
    : ["AUC –", "no held-out AUC: the extractor saw this attribute on all held-out samples or on none"];
  if ("r2" in q) return [`R² ${num(q.r2) ? q.r2.toFixed(2) : "–"}`, "held-out R² of this axis: 0 = no better than the mean, 1 = perfect"];
  if (num(q.val_accuracy)) return [`acc ${q.val_accuracy.toFixed(2)}`, "held-out accuracy of this axis"];
  return ["", ""];
}

// A direction's share of the variance: whole percent, one decimal below 10% (never a bare "0%").
function varShare(r) {
  const pct = 100 * r;
  return pct >= 10 ? `${pct.toFixed(0)}%` : pct >= 0.1 ? `${pct.toFixed(1)}%` : "<0.1%";
}

function buildSliders() {
  const box = $("sliders");
  box.innerHTML = "";
  for (const ax of info.axes) {
    const q = ax.quality || {};
    const unsup = ax.group === "unsupervised";
    const [qtext, qtip] = unsup ? [`${varShare(q.variance_ratio || 0)} var`,
      "share of the variance (GANSpace) or of the weight's energy (SeFa) along this direction"] : fitQuality(q);
    const row = document.createElement("div");
    row.className = "axis";
    row.dataset.axis = ax.name;
    row.dataset.group = ax.group || "supervised";
    const label = unsup && q.label ? ` <span class="moves" title="what the extractor sees this direction move most">${q.label}</span>` : "";
    row.innerHTML = `<span class="name"><span class="full">${ax.name}${label}</span><span class="q" title="${qtip}">${qtext}</span></span>
      <input type="range" min="-3" max="3" step="0.05" value="0" id="slider-${ax.name}" aria-label="${ax.name}">
      <span class="val" id="val-${ax.name}" title="λ: how far the latent moves along this axis">0.00</span>
      <button class="zero" id="zero-${ax.name}" title="reset ${ax.name} to 0" aria-label="reset ${ax.name}">×</button>
      ${ax.reachable ? `<button class="reach" id="reach-${ax.name}" title="just enough: move ${ax.name} until the extractor reads it (or, if it already does, its absence) with probability 0.9" aria-label="just enough ${ax.name}">⇥</button>` : "<span></span>"}
      <label title="lock ${ax.name}: other edits are made orthogonal to its axis"><input type="checkbox" id="lock-${ax.name}" aria-label="lock ${ax.name}"> lock</label>`;
    box.appendChild(row);
    const slider = row.querySelector("input[type=range]");
    slider.addEventListener("input", () => { setEdit(ax.name, parseFloat(slider.value)); });
    slider.addEventListener("change", () => { pushHistory(); showSweep(ax.name); });
    row.querySelector("button.zero").addEventListener("click", () => { slider.value = 0; setEdit(ax.name, 0); pushHistory(); });
    if (ax.reachable) row.querySelector("button.reach").addEventListener("click", () => reach(ax.name));
    row.querySelector("input[type=checkbox]").addEventListener("change", (e) => {
      state.lock = state.lock.filter((n) => n !== ax.name);
      if (e.target.checked) state.lock.push(ax.name);
      row.classList.toggle("locked", e.target.checked);
      pushHistory();
      request();
    });
  }
}

// Just enough: the server walks this axis's λ until the extractor reads the attribute (or, when the edited face
// already shows it, its absence) with probability 0.9, at most 4 from where the slider is.
async function reach(name) {
  if (!state.z) return;
  const want = Number($("attr-" + name).dataset.value) >= 0.5 ? 0 : 1;
  try {
    const out = await api("/api/reach", { z: state.z, edits: state.edits, lock: state.lock, keep_norm: state.keep_norm, axis: name, want });
    if (out.lambda === 0) delete state.edits[name]; else state.edits[name] = out.lambda;
    syncControls(); pushHistory();
    await request();
    const moved = `λ ${out.lambda.toFixed(2)} (moved ${out.walked >= 0 ? "+" : ""}${out.walked.toFixed(2)})`;
    status(`${name} ${want ? "" : "absent "}${out.reached ? "read by the extractor" : "not yet read: the walk stopped at its longest"}: ` +
      `${moved} · ${$("status").textContent}`);
    showSweep(name);
  } catch (e) { status("error: " + e.message); }
}

function setEdit(name, value) {
  if (value === 0) delete state.edits[name]; else state.edits[name] = value * sigmaOf(name);
  $("val-" + name).textContent = value.toFixed(2);
  request();
}

function syncControls() {
  for (const ax of info.axes) {
    const v = (state.edits[ax.name] || 0) / sigmaOf(ax.name);
    $("slider-" + ax.name).value = v;
    $("val-" + ax.name).textContent = v.toFixed(2);
    const locked = state.lock.includes(ax.name);
    $("lock-" + ax.name).checked = locked;
    document.querySelector(`.axis[data-axis="${CSS.escape(ax.name)}"]`).classList.toggle("locked", locked);
  }
  const uploaded = state.seed === "upload";  // the number box cannot show a word: say it as a placeholder
  $("seed").value = uploaded ? "" : state.seed;
  $("seed").placeholder = uploaded ? "uploaded image" : "";
  $("keepnorm").checked = state.keep_norm;
}

function showAttributes(attrs) {
  const box = $("attributes");
  if (!info.labels.length) { box.textContent = "(no feature extractor loaded: start the editor with --features DIR to see the attributes)"; return; }
  if (!box.childElementCount) {
    for (const lab of info.labels) {
      const el = document.createElement("div");
      el.className = "attr";
      el.innerHTML = `<span>${lab.name}</span><span class="v" id="attr-${lab.name}">–</span><span class="bar"><i></i></span>`;
      box.appendChild(el);
    }
  }
  for (const lab of info.labels) {
    const v = attrs[lab.name], b = baseAttrs[lab.name];
    const el = $("attr-" + lab.name);
    const fmt = (x) => lab.binary ? x.toFixed(2) : x.toFixed(1);
    el.textContent = b === undefined || fmt(b) === fmt(v) ? fmt(v) : `${fmt(b)} → ${fmt(v)}`;
    el.classList.toggle("changed", b !== undefined && Math.abs(v - b) >= (lab.binary ? 0.1 : 1));
    el.dataset.value = v;
    const frac = lab.binary ? v : Math.max(0, Math.min(1, lab.name === "age" ? (v - 18) / 62 : (v + 1) / 2));
    el.parentElement.querySelector(".bar i").style.width = (100 * frac).toFixed(0) + "%";
  }
}

// Coalescing: while a request is in flight, later changes only mark the state dirty; when the reply
// arrives, one more request carries the newest state. Dragging never queues more than one request.
async function request() {
  if (!state.z) return;
  if (inFlight) { dirty = true; return; }
  inFlight = true;
  dirty = false;
  $("pending").hidden = false;
  $("editedfig").classList.add("busy");
  const t0 = performance.now();
  try {
    const out = await api("/api/render", { z: state.z, edits: state.edits, lock: state.lock, keep_norm: state.keep_norm });
    $("edited").src = out.image;
    lastImage = out.image;
    showAttributes(out.attributes);
    status(`seed ${state.seed} · ${Object.keys(state.edits).length} edit(s) · ${state.lock.length} lock(s) · ${(performance.now() - t0).toFixed(0)} ms`);
  } catch (e) {
    status("error: " + e.message);
  } finally {
    inFlight = false;
    if (dirty) request();
    else { $("pending").hidden = true; $("editedfig").classList.remove("busy"); }
  }
}

function showInput(src) {
  $("inputfig").hidden = !src;
  if (src) $("input").src = src;
  $("origcap").textContent = src ? "reconstruction" : "original";
}

// Upload: the server inverts the image (hybrid: encoder + 40 steps); the sliders then edit its latent.
async function uploadImage(file) {
  if (!file) return;
  const t0 = performance.now();
  const timer = setInterval(() => status(`inverting ${file.name}… ${((performance.now() - t0) / 1000).toFixed(1)} s`), 100);
  try {
    const { r, data: out } = await call("/api/invert", { method: "POST", headers: { "Content-Type": file.type || "application/octet-stream" }, body: file });
    if (!r.ok) throw new Error(out.detail || r.statusText);
    state.z = out.z; state.seed = "upload";
    showInput(out.input);
    await showOriginal();
    syncControls(); pushHistory();
    clearInterval(timer);
    status(`inverted ${file.name} in ${out.seconds.toFixed(2)} s; reconstruction ${out.psnr.toFixed(1)} dB PSNR`);
    $("inputcap").textContent = `your image · reconstructed at ${out.psnr.toFixed(1)} dB PSNR`;
    $("uploadwarn").hidden = !out.warning;
    $("uploadwarn").textContent = out.warning ? "⚠ " + out.warning : "";
    await request();
  } catch (e) {
    clearInterval(timer);
    status("cannot invert: " + e.message);
  }
}

async function loadSeed(seed, keepEdits = true) {
  seed = Math.max(0, Math.min(2147483647, Math.floor(Number(seed) || 0)));
  state.seed = seed;
  showInput(null);
  $("uploadwarn").hidden = true;
  state.z = (await api("/api/latent", { seed })).z;
  if (!keepEdits) { state.edits = {}; syncControls(); }
  await showOriginal();
  syncControls();
  pushHistory();
  await request();
  if (sweepAxis) showSweep(sweepAxis);
}

async function showOriginal() {
  const orig = await api("/api/render", { z: state.z, edits: {}, lock: [], keep_norm: false });
  $("original").src = orig.image;
  baseAttrs = orig.attributes;
}

// The strip under the images: the last moved axis from λ = −2 to +2 on the current face (other edits kept).
async function showSweep(name) {
  if (!state.z) return;
  sweepAxis = name;
  $("sweeptitle").textContent = `Sweep of ${name} (λ = −2 … +2, other edits and locks kept)`;
  const box = $("sweep");
  const lams = [-2, -1, 0, 1, 2];
  const outs = [];
  for (const lam of lams) {
    outs.push(await api("/api/render", { z: state.z, edits: { ...state.edits, [name]: lam }, lock: state.lock.filter((n) => n !== name), keep_norm: state.keep_norm }));
  }
  box.innerHTML = "";
  outs.forEach((o, i) => {
    const f = document.createElement("figure");
    f.innerHTML = `<img alt="${name} at λ ${lams[i]}" src="${o.image}"><figcaption>${lams[i] > 0 ? "+" : ""}${lams[i]}</figcaption>`;
    box.appendChild(f);
  });
}

function exportJSON() {
  const blob = new Blob([JSON.stringify({ generator_hash: info.generator_hash, ...JSON.parse(snapshot()) }, null, 2)],
    { type: "application/json" });
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `tlgan_edit_seed${state.seed}.json`;
  a.click();
}

async function importJSON(file) {
  try {
    const data = JSON.parse(await file.text());
    if (!Array.isArray(data.z) || data.z.length !== info.z_dim) throw new Error(`z must have ${info.z_dim} values`);
    state.z = data.z; state.seed = data.seed ?? state.seed;
    state.edits = data.edits || {}; state.lock = data.lock || []; state.keep_norm = !!data.keep_norm;
      await showOriginal();
    syncControls(); pushHistory(); await request();
  } catch (e) { status("cannot load: " + e.message); }
}

function undo() {
  if (history.length < 2) return;
  history.pop();
  const s = JSON.parse(history[history.length - 1]);
  const zChanged = JSON.stringify(s.z) !== JSON.stringify(state.z);
  Object.assign(state, s);
  syncControls();
  if (zChanged) showOriginal();
  request();
}

function download() {
  if (!lastImage) return;
  const a = document.createElement("a");
  a.href = lastImage;
  a.download = `tlgan_seed${state.seed}.png`;
  document.body.appendChild(a); a.click(); a.remove();
}

async function main() {
  info = await api("/api/info");
  $("title").textContent = info.title;
  document.title = info.title;
  buildPanels();
  buildSliders();
  showPanel("supervised");
  state.lock = [...(info.default_lock || [])];
  if (state.lock.length) {  // the legend's example: the model's own default lock
    $("lockexample").textContent = `: the page opens with ${state.lock.join(", ")} locked, so the other sliders ` +
      `do not move the latent along ${state.lock.length > 1 ? "those axes" : "that axis"}`;
  }
  syncControls();
  const keep = () => $("keepedits").checked;
  $("go").onclick = () => loadSeed($("seed").value, keep());
  $("seed").addEventListener("keydown", (e) => { if (e.key === "Enter") loadSeed($("seed").value, keep()); });
  $("random").onclick = () => loadSeed(Math.floor(Math.random() * 1e6), keep());
  $("reset").onclick = () => { state.edits = {}; state.lock = [...(info.default_lock || [])]; syncControls(); pushHistory(); request(); };
  $("undo").onclick = undo;
  $("keepnorm").onchange = (e) => { state.keep_norm = e.target.checked; pushHistory(); request(); };
  $("download").onclick = download;
  $("export").onclick = exportJSON;
  $("load").onchange = (e) => e.target.files[0] && importJSON(e.target.files[0]);
  $("upload").onchange = (e) => uploadImage(e.target.files[0]);
  const drop = $("dropzone");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("dragging"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("dragging"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); drop.classList.remove("dragging"); uploadImage(e.dataTransfer.files[0]); });
  document.addEventListener("keydown", (e) => {
    if (e.target.tagName === "INPUT" && e.target.type !== "range" && e.target.type !== "checkbox") return;
    if (e.key === "r" || e.key === "R") $("random").click();
    else if (e.key === "u" || (e.key === "z" && (e.ctrlKey || e.metaKey))) undo();
    else if (e.key === "0") $("reset").click();
    else if (e.key === "d" || e.key === "D") download();
  });
  await loadSeed(state.seed);
}
main().catch((e) => status("error: " + e.message));
