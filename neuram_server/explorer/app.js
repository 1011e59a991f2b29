// neuram explorer: a page over the server's own REST API (/v1). No framework, no build:
// every action is one fetch, so the server's keys and --read-only apply as to any client.
"use strict";

const $ = (selector) => document.querySelector(selector);
const PAGE = 25;
const state = { namespace: "", write: true, cursors: [null], page: 0, memory: null, lists: 0 };

// -- talking to the server -------------------------------------------------------------------
class ApiError extends Error {}

async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  const key = sessionStorage.getItem("neuram-api-key");
  if (key) headers["X-API-Key"] = key;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  const response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = null; }
  if (!response.ok) {
    // A problem document (RFC 9457): its detail says what was wrong, its title what kind.
    const message = data && (data.detail || data.title) ? data.detail || data.title : `${response.status} ${response.statusText}`;
    throw new ApiError(message);
  }
  return data;
}

const ns = () => `/v1/namespaces/${encodeURIComponent(state.namespace)}`;

// -- showing things -------------------------------------------------------------------------
function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name === "text") node.textContent = value;
    else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
    else node.setAttribute(name, value === true ? "" : value);
  }
  for (const child of children) node.append(child);
  return node;
}

function svg(tag, attrs, ...children) {
  const node = document.createElementNS("http://www.w3.org/2000/svg", tag);
  for (const [name, value] of Object.entries(attrs || {})) node.setAttribute(name, value);
  for (const child of children) node.append(child);
  return node;
}

function showError(error) {
  const box = $("#error");
  box.textContent = error instanceof Error ? error.message : String(error);
  box.hidden = false;
}

function say(message) {
  $("#error").hidden = true;
  $("#status").textContent = message;
}

async function attempt(action) {
  try {
    $("#error").hidden = true;
    await action();
  } catch (error) {
    showError(error);
  }
}

const percent = (value) => `${(100 * value).toFixed(1)}%`;
const number = (value) => (value === null || value === undefined ? "—" : Number(value).toFixed(3));
const when = (seconds) => (seconds ? new Date(seconds * 1000).toLocaleString() : "—");
const hours = (value) => (value >= 48 ? `${(value / 24).toFixed(1)} days` : `${value.toFixed(1)} h`);
const memoryLink = (id, text) => el("a", { href: `#/memory/${encodeURIComponent(id)}`, text });

// -- namespace and key -------------------------------------------------------------------------
async function openNamespace() {
  state.namespace = $("#namespace").value.trim() || "default";
  sessionStorage.setItem("neuram-namespace", state.namespace);
  const key = $("#api-key").value;
  if (key) sessionStorage.setItem("neuram-api-key", key);
  else sessionStorage.removeItem("neuram-api-key");
  const access = await api("GET", `${ns()}/access`);
  state.write = access.write;
  document.body.classList.toggle("read-only", !state.write);
  $("#read-only-note").hidden = state.write;
  try {
    const listed = await api("GET", "/v1/namespaces");
    $("#namespaces").replaceChildren(...listed.namespaces.map((name) => el("option", { value: name })));
  } catch {
    // the picker is a convenience: a key may read a namespace yet the list be refused
  }
}

// -- Browse ------------------------------------------------------------------------------------
function listQuery() {
  const form = new FormData($("#filters"));
  const params = new URLSearchParams({ limit: String(PAGE), sort: form.get("sort"), order: form.get("order") });
  for (const name of ["q", "memory_type", "pinned"]) if (form.get(name)) params.set(name, form.get(name));
  for (const name of ["since", "until"]) {
    if (form.get(name)) params.set(name, String(new Date(form.get(name)).getTime() / 1000));
  }
  const key = String(form.get("meta_key") || "").trim();
  if (key) {
    const raw = String(form.get("meta_value") || "");
    let value = raw;
    try { value = JSON.parse(raw); } catch { value = raw; } // 3 and true as numbers and booleans
    params.set("metadata", JSON.stringify({ [key]: value }));
  }
  const cursor = state.cursors[state.page];
  if (cursor) params.set("cursor", cursor);
  return params;
}

async function browse() {
  const asked = ++state.lists; // a list asked for later wins, whichever answer comes last
  const page = await api("GET", `${ns()}/memories?${listQuery()}`);
  if (asked !== state.lists) return;
  state.cursors[state.page + 1] = page.next_cursor;
  const rows = page.items.map((m) =>
    el("tr", {},
      el("td", {}, memoryLink(m.engram_id, m.content.length > 140 ? `${m.content.slice(0, 137)}…` : m.content)),
      el("td", { text: m.memory_type }),
      el("td", { text: percent(m.retention) }),
      el("td", { text: hours(m.stability) }),
      el("td", { text: String(m.access_count) }),
      el("td", { text: when(m.last_accessed) }),
      el("td", { text: m.pinned ? "yes" : "" })));
  // A list drawn again (the opening one answering late, say) keeps a keyboard user's place.
  const focused = document.activeElement?.closest("#memories a")?.getAttribute("href");
  $("#memories tbody").replaceChildren(...rows);
  if (focused) $("#memories").querySelector(`a[href="${CSS.escape(focused)}"]`)?.focus();
  const first = state.page * PAGE;
  $("#browse-count").textContent = page.total
    ? `${page.total} ${page.total === 1 ? "memory matches" : "memories match"}; showing ${first + 1}–${first + page.items.length}.`
    : "No memories match.";
  $("#prev-page").disabled = state.page === 0;
  $("#next-page").disabled = !page.next_cursor;
}

// -- Inspect -----------------------------------------------------------------------------------
function field(list, name, value) {
  list.append(el("dt", { text: name }), el("dd", { text: value }));
}

function curve(memory) {
  // R(t) = e^(-t/S), t in hours since the last access, to the forget-at moment (or 4·S when pinned).
  const width = 480, height = 200, left = 44, bottom = 30, top = 10, right = 12;
  const start = memory.last_accessed;
  const now = Date.now() / 1000;
  const end = memory.forget_at ? Math.max(memory.forget_at, now) : start + Math.max(4 * memory.stability * 3600, now - start);
  const span = Math.max(end - start, 1);
  const x = (t) => left + ((t - start) / span) * (width - left - right);
  const y = (r) => top + (1 - r) * (height - top - bottom);
  const points = [];
  for (let i = 0; i <= 120; i += 1) {
    const t = start + (span * i) / 120;
    points.push(`${x(t).toFixed(1)},${y(Math.exp(-(t - start) / 3600 / memory.stability)).toFixed(1)}`);
  }
  const nowR = Math.exp(-(now - start) / 3600 / memory.stability);
  const label = `Retention falls from 100% at the last access to ${percent(nowR)} now` +
    (memory.forget_at ? `, and the memory is forgotten on ${when(memory.forget_at)}.` : "; it is pinned and never pruned.");
  const chart = svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart" },
    svg("title", {}, label),
    svg("line", { x1: left, y1: y(0), x2: width - right, y2: y(0), class: "axis" }),
    svg("line", { x1: left, y1: y(0), x2: left, y2: y(1), class: "axis" }),
    svg("text", { x: left - 6, y: y(1) + 4, "text-anchor": "end" }, "100%"),
    svg("text", { x: left - 6, y: y(0) + 4, "text-anchor": "end" }, "0%"),
    svg("text", { x: left, y: height - 8 }, "last access"),
    svg("text", { x: width - right, y: height - 8, "text-anchor": "end" }, memory.forget_at ? "forgotten" : "pinned"),
    svg("polyline", { points: points.join(" "), class: "curve" }),
    svg("line", { x1: x(now), y1: y(0), x2: x(now), y2: y(1), class: "now" }),
    svg("circle", { cx: x(now), cy: y(nowR), r: 4, class: "dot" }),
    svg("text", { x: x(now) + 4, y: y(1) + 12 }, "now"));
  $("#curve").replaceChildren(chart);
}

async function graph(memory) {
  // The memory in the middle, its associations around it; each neighbour a link to walk to.
  const links = memory.associations.slice().sort((a, b) => b[1] - a[1]).slice(0, 8);
  if (!links.length) {
    $("#graph").replaceChildren(el("p", { text: "No associations yet: they form between memories recalled or perceived together." }));
    return;
  }
  const neighbours = await Promise.all(links.map(async ([id, weight]) => {
    try {
      const other = await api("GET", `${ns()}/memories/${encodeURIComponent(id)}`);
      return { id, weight, text: other.content };
    } catch {
      return { id, weight, text: null };
    }
  }));
  const size = 360, middle = size / 2, radius = 130;
  const short = (text) => (text.length > 28 ? `${text.slice(0, 26)}…` : text);
  const chart = svg("svg", { viewBox: `0 0 ${size} ${size}`, class: "graph", role: "group", "aria-label": "Associations" });
  const nodes = [];
  neighbours.forEach((n, i) => {
    const angle = (2 * Math.PI * i) / neighbours.length - Math.PI / 2;
    const nx = middle + radius * Math.cos(angle), ny = middle + radius * Math.sin(angle);
    chart.append(svg("line", { x1: middle, y1: middle, x2: nx, y2: ny, class: "edge", "stroke-width": 1 + 4 * n.weight }));
    const node = n.text === null
      ? svg("g", {}, svg("circle", { cx: nx, cy: ny, r: 8, class: "node gone" }), svg("text", { x: nx, y: ny + 22, "text-anchor": "middle" }, "(forgotten)"))
      : svg("a", { href: `#/memory/${encodeURIComponent(n.id)}`, "aria-label": `${n.text} (weight ${n.weight.toFixed(2)})` },
        svg("circle", { cx: nx, cy: ny, r: 8, class: "node" }), svg("text", { x: nx, y: ny + 22, "text-anchor": "middle" }, short(n.text)));
    nodes.push(node);
  });
  chart.append(...nodes, svg("circle", { cx: middle, cy: middle, r: 12, class: "node here" }),
    svg("text", { x: middle, y: middle + 28, "text-anchor": "middle", class: "here-label" }, short(memory.content)));
  const list = el("ul", { class: "neighbours" }, ...neighbours.map((n) =>
    el("li", {}, n.text === null ? el("span", { text: "(forgotten)" }) : memoryLink(n.id, n.text), ` — weight ${n.weight.toFixed(2)}`)));
  $("#graph").replaceChildren(chart, list);
}

async function inspect(id) {
  const memory = await api("GET", `${ns()}/memories/${encodeURIComponent(id)}`);
  state.memory = memory;
  $("#graph").replaceChildren(el("p", { text: "Loading its associations…" })); // never the last memory's
  $("#memory-content").textContent = memory.content;
  const list = $("#memory-fields");
  list.replaceChildren();
  field(list, "Id", memory.engram_id);
  field(list, "Type", memory.memory_type);
  field(list, "Retention now", percent(memory.retention));
  field(list, "Stability", hours(memory.stability));
  field(list, "Salience", number(memory.salience));
  field(list, "Reward", number(memory.reward));
  field(list, "Access count", String(memory.access_count));
  field(list, "Encoded", when(memory.encoded_at));
  field(list, "Last access", when(memory.last_accessed));
  field(list, "Pinned", memory.pinned ? "yes" : "no");
  field(list, "Consolidated", memory.consolidated === false ? "not yet (waits for sleep)" : "yes");
  field(list, "Expires", memory.expires_at ? when(memory.expires_at) : "never");
  field(list, "Forgotten at", memory.forget_at ? when(memory.forget_at) : "never (pinned)");
  field(list, "Metadata", Object.keys(memory.metadata).length ? JSON.stringify(memory.metadata, null, 1) : "none");
  $("#pin-toggle").textContent = memory.pinned ? "Unpin" : "Pin";
  curve(memory);
  await graph(memory);
}

async function tend(method, suffix, body, message) {
  const id = encodeURIComponent(state.memory.engram_id);
  await api(method, `${ns()}/memories/${id}${suffix}`, body);
  await inspect(state.memory.engram_id);
  say(message);
}

// -- Ask ---------------------------------------------------------------------------------------
function explanation(parts, names) {
  // names: id -> content of this answer's memories, to say where a spread came from.
  const named = (id) => names.get(id) || `memory ${id.slice(0, 8)}`;
  const rows = [
    ["Dense similarity", number(parts.similarity)],
    ["Lexical (rare words)", number(parts.lexical)],
    ["Spread", number(parts.spread)],
    ["Relevance (σ above chance)", number(parts.relevance)],
    ["Retention", percent(parts.retention)],
    ["Retention factor", number(parts.retention_factor)],
  ];
  const table = el("table", { class: "explain" },
    el("caption", { text: "Why it came back" }),
    el("tbody", {}, ...rows.map(([name, value]) => el("tr", {}, el("th", { scope: "row", text: name }), el("td", { text: value })))));
  if (parts.spread_from) {
    const from = el("tr", {}, el("th", { scope: "row", text: "Spread from" }),
      el("td", {}, memoryLink(parts.spread_from, named(parts.spread_from)),
        parts.spread_via && parts.spread_via !== parts.spread_from ? " via " : "",
        parts.spread_via && parts.spread_via !== parts.spread_from ? memoryLink(parts.spread_via, named(parts.spread_via)) : "",
        ` (edge weight ${number(parts.spread_weight)})`));
    table.tBodies[0].append(from);
  }
  if (parts.fragment_content && parts.similarity + parts.lexical >= 0.0005) { // a match shown as 0.000 is none
    table.tBodies[0].append(el("tr", {}, el("th", { scope: "row", text: "Matched in the passage" }),
      el("td", { text: parts.fragment_content })));
  }
  return table;
}

async function ask(event) {
  event.preventDefault();
  const form = new FormData($("#ask"));
  const body = {
    query: String(form.get("query") || ""),
    top_k: Number(form.get("top_k") || 5),
    explain: true,
    strengthen: state.write && form.get("strengthen") === "on",
  };
  if (form.get("memory_type")) body.memory_type = form.get("memory_type");
  const answer = await api("POST", `${ns()}/recall`, body);
  const names = new Map(answer.results.map((hit) => [hit.memory.engram_id, hit.memory.content]));
  $("#results").replaceChildren(...answer.results.map((hit) =>
    el("li", { class: "hit" },
      el("p", {}, memoryLink(hit.memory.engram_id, hit.memory.content)),
      el("p", { class: "score", text: `score ${number(hit.score)} · ${hit.memory.memory_type}` }),
      explanation(hit.explain, names))));
  say(answer.results.length ? `${answer.results.length} came back${body.strengthen ? " and were strengthened" : ""}.` : "Nothing came back.");
}

// -- Add ---------------------------------------------------------------------------------------
async function add(event) {
  event.preventDefault();
  const form = new FormData($("#add"));
  const body = { content: String(form.get("content") || ""), pinned: form.get("pinned") === "on", gate: form.get("gate") === "on" };
  if (form.get("memory_type")) body.memory_type = form.get("memory_type");
  if (form.get("salience")) body.salience = Number(form.get("salience"));
  const metadata = String(form.get("metadata") || "").trim();
  if (metadata) {
    try {
      body.metadata = JSON.parse(metadata);
    } catch (error) {
      throw new ApiError(`metadata is not JSON (${error.message}); nothing was added`);
    }
  }
  const made = await api("POST", `${ns()}/memories`, body);
  if (made.filtered_reason) {
    say(`Not stored: the small-talk filter kept it out (${made.filtered_reason}).`);
    return;
  }
  $("#add").reset();
  await go(`#/memory/${encodeURIComponent(made.engram_id)}`);
  say("Added.");
}

// -- History -----------------------------------------------------------------------------------
function sizeChart(cycles) {
  // The namespace's size after each cycle, over time.
  const width = 640, height = 160, left = 44, right = 12, top = 10, bottom = 24;
  const first = cycles[0].at, last = cycles[cycles.length - 1].at;
  const most = Math.max(1, ...cycles.map((c) => c.size));
  const x = (t) => left + (last > first ? (t - first) / (last - first) : 0.5) * (width - left - right);
  const y = (n) => top + (1 - n / most) * (height - top - bottom);
  const label = `Memories after each of ${cycles.length} sleep cycles: from ${cycles[0].size} to ${cycles[cycles.length - 1].size}.`;
  return svg("svg", { viewBox: `0 0 ${width} ${height}`, role: "img", "aria-label": label, class: "chart" },
    svg("title", {}, label),
    svg("line", { x1: left, y1: y(0), x2: width - right, y2: y(0), class: "axis" }),
    svg("line", { x1: left, y1: y(0), x2: left, y2: y(most), class: "axis" }),
    svg("text", { x: left - 6, y: y(most) + 4, "text-anchor": "end" }, String(most)),
    svg("text", { x: left - 6, y: y(0) + 4, "text-anchor": "end" }, "0"),
    svg("text", { x: left, y: height - 6 }, when(first)),
    svg("text", { x: width - right, y: height - 6, "text-anchor": "end" }, when(last)),
    svg("polyline", { points: cycles.map((c) => `${x(c.at).toFixed(1)},${y(c.size).toFixed(1)}`).join(" "), class: "curve" }),
    ...cycles.map((c) => svg("circle", { cx: x(c.at), cy: y(c.size), r: 3, class: "dot" })));
}

async function showHistory() {
  const { cycles } = await api("GET", `${ns()}/history`);
  if (!cycles.length) {
    $("#size-chart").replaceChildren(el("p", { text: "No sleep cycle yet since the server started." }));
    $("#cycles tbody").replaceChildren();
    return;
  }
  $("#size-chart").replaceChildren(sizeChart(cycles));
  $("#cycles tbody").replaceChildren(...cycles.slice(-100).reverse().map((c) =>
    el("tr", {}, el("td", { text: when(c.at) }), el("td", { text: String(c.consolidated) }),
      el("td", { text: String(c.pruned_wm) }), el("td", { text: String(c.pruned_ltm) }),
      el("td", { text: c.locked_out ? "yes" : "" }), el("td", { text: String(c.size) }))));
}

// -- routing -----------------------------------------------------------------------------------
async function go(hash) {
  // Navigate and wait for the view, so a message said afterwards is not cleared by it.
  if (location.hash === hash) return route();
  history.pushState(null, "", hash);
  return route();
}

async function route() {
  $("#status").textContent = "";
  const hash = location.hash || "#/browse";
  const [, view, ...rest] = hash.split("/");
  let name = ["browse", "memory", "ask", "add", "history"].includes(view) ? view : "browse";
  if (name === "add" && !state.write) name = "browse"; // nothing to add with a read-only key or server
  for (const section of document.querySelectorAll("main > section")) section.hidden = section.id !== `view-${name}`;
  for (const link of document.querySelectorAll("nav a")) {
    if (link.getAttribute("href") === `#/${name}`) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (name === "browse") await attempt(browse);
  if (name === "history") await attempt(showHistory);
  if (name === "memory") await attempt(() => inspect(decodeURIComponent(rest.join("/"))));
}

function wire() {
  $("#namespace").value = sessionStorage.getItem("neuram-namespace") || "default";
  $("#api-key").value = sessionStorage.getItem("neuram-api-key") || "";
  $("#connect").addEventListener("submit", (event) => {
    event.preventDefault();
    attempt(async () => {
      await openNamespace();
      state.cursors = [null];
      state.page = 0;
      await route();
    });
  });
  $("#filters").addEventListener("submit", (event) => {
    event.preventDefault();
    state.cursors = [null];
    state.page = 0;
    attempt(browse);
  });
  $("#next-page").addEventListener("click", () => { state.page += 1; attempt(browse); });
  $("#prev-page").addEventListener("click", () => { state.page = Math.max(0, state.page - 1); attempt(browse); });
  $("#sleep").addEventListener("click", () => attempt(async () => {
    const done = await api("POST", `${ns()}/sleep`);
    say(`Sleep: ${Object.entries(done).map(([k, v]) => `${k.replaceAll("_", " ")} ${v}`).join(", ")}.`);
    await browse();
  }));
  $("#pin-toggle").addEventListener("click", () => attempt(() =>
    state.memory.pinned ? tend("POST", "/unpin", undefined, "Unpinned.") : tend("POST", "/pin", undefined, "Pinned.")));
  $("#reward-up").addEventListener("click", () => attempt(() => tend("POST", "/reinforce", { reward: 0.5 }, "Rewarded.")));
  $("#reward-down").addEventListener("click", () => attempt(() => tend("POST", "/reinforce", { reward: -0.5 }, "Punished.")));
  $("#forget").addEventListener("click", () => attempt(async () => {
    if (!window.confirm(`Forget “${state.memory.content.slice(0, 80)}” for good?`)) return;
    await api("DELETE", `${ns()}/memories/${encodeURIComponent(state.memory.engram_id)}`);
    await go("#/browse");
    say("Forgotten.");
  }));
  $("#ask").addEventListener("submit", (event) => attempt(() => ask(event)));
  $("#add").addEventListener("submit", (event) => attempt(() => add(event)));
  window.addEventListener("hashchange", route);
  attempt(async () => {
    await openNamespace();
    await route();
  });
}

wire();
