// Conveyor's dashboard: plain DOM, no framework, no build step. Everything user-supplied (args, results, errors,
// names, tags) goes into the page as text nodes (textContent), never as HTML.
"use strict";
(() => {
  const meta = name => document.querySelector(`meta[name="${name}"]`).content;
  const csrf = meta("conveyor-csrf");
  const apiBase = meta("conveyor-api");
  const api = path => apiBase + path;
  const view = document.getElementById("view");
  const STATES = ["waiting", "scheduled", "queued", "running", "completed", "failed", "cancelled"];
  let stream = null; // the one EventSource of the current view
  let timers = [];

  // ---- DOM helpers: text in, never markup ----
  function el(tag, props, ...children) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k === "class") node.className = v;
      else if (k.startsWith("on")) node.addEventListener(k.slice(2), v);
      else node.setAttribute(k, v === true ? "" : String(v));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }
  const text = value => value === null || value === undefined ? "" : String(value);
  const json = value => value === null || value === undefined ? "" : JSON.stringify(value, null, 2);
  const time = iso => iso ? new Date(iso).toLocaleString() : "";
  const age = seconds => seconds === null || seconds === undefined ? "" :
    seconds < 60 ? `${seconds.toFixed(1)} s` : seconds < 3600 ? `${(seconds / 60).toFixed(1)} min` : `${(seconds / 3600).toFixed(1)} h`;
  const badge = state => el("span", { class: `state state-${state}`, "data-state": state }, state);

  function progressCell(progress) {
    const bar = el("span");
    const wrap = el("span", { class: "progress", role: "progressbar", "aria-valuemin": 0, "aria-valuemax": 100 }, bar);
    const label = el("span", { class: "progress-text" });
    const cell = el("span", { class: "progress-cell" }, wrap, label);
    setProgress(cell, progress);
    return cell;
  }
  function setProgress(cell, progress) {
    const [wrap, label] = cell.children;
    const percent = progress && progress.percent !== null && progress.percent !== undefined ? progress.percent
      : progress && progress.total ? Math.round(100 * (progress.done || 0) / progress.total) : null;
    wrap.firstChild.style.width = `${percent ?? 0}%`;
    wrap.setAttribute("aria-valuenow", percent ?? 0);
    cell.dataset.percent = percent ?? "";
    const parts = [];
    if (percent !== null) parts.push(`${percent}%`);
    if (progress && progress.stage) parts.push(progress.stage);
    if (progress && progress.total) parts.push(`${progress.done ?? 0}/${progress.total}`);
    label.textContent = parts.join(" · ");
  }

  // ---- HTTP ----
  async function call(method, path, body) {
    const headers = { "Accept": "application/json" };
    if (method !== "GET") headers["X-Conveyor-Csrf"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const response = await fetch(api(path), { method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body) });
    if (response.status === 401) { showSignIn(); throw new Error("Sign in needed"); }
    const data = response.status === 204 ? null : await response.json().catch(() => null);
    if (!response.ok) throw new Error(data && data.detail ? data.detail : `${method} ${path}: ${response.status}`);
    return data;
  }
  function flash(message, isError) {
    const note = el("p", { class: isError ? "error" : "muted", role: "status" }, message);
    view.prepend(note);
    setTimeout(() => note.remove(), 6000);
  }

  // ---- live events: one stream per view ----
  function listen(query, onJob) {
    if (stream) stream.close();
    const live = document.getElementById("live");
    stream = new EventSource(api("events" + (query ? "?" + query : "")), { withCredentials: true });
    stream.addEventListener("open", () => { live.textContent = "live"; live.classList.add("on"); });
    stream.addEventListener("error", () => { live.textContent = "reconnecting"; live.classList.remove("on"); });
    stream.addEventListener("job", e => onJob(JSON.parse(e.data)));
  }
  function every(ms, fn) { timers.push(setInterval(fn, ms)); }
  function leaveView() {
    if (stream) { stream.close(); stream = null; }
    timers.forEach(clearInterval); timers = [];
    document.getElementById("live").textContent = "offline";
    document.getElementById("live").classList.remove("on");
  }

  // ---- overview ----
  async function overview() {
    const queuesPanel = el("div", { class: "panel" });
    const chartPanel = el("div", { class: "panel" });
    const workersPanel = el("div", { class: "panel" });
    view.replaceChildren(el("h1", {}, "Overview"), el("h2", {}, "Queues"), queuesPanel,
      el("h2", {}, "Completed and failed per minute, last hour"), chartPanel, el("h2", {}, "Workers"), workersPanel);
    async function refresh(force) {
      const [queues, workers, throughput, running] = await Promise.all([call("GET", "queues"), call("GET", "workers"),
        call("GET", "stats/throughput"), call("GET", "jobs?state=running&limit=200")]);
      // A limits form being filled in stays until it is saved.
      if (force === true || !queuesPanel.querySelector(".limits-form")) queuesPanel.replaceChildren(queueTable(queues, refresh));
      workersPanel.replaceChildren(workerTable(workers, running.jobs));
      chartPanel.replaceChildren(chart(throughput));
    }
    await refresh();
    let dirty = false;
    listen("", () => { dirty = true; });
    every(2000, () => { if (dirty) { dirty = false; refresh().catch(() => {}); } });
    every(15000, () => refresh().catch(() => {}));
  }
  function queueTable(queues, refresh) {
    if (queues.length === 0) return el("p", { class: "muted" }, "No queues yet: enqueue a job to see one.");
    return el("table", { id: "queues" },
      el("thead", {}, el("tr", {}, el("th", {}, "Queue"), STATES.map(s => el("th", { class: "num" }, s)), el("th", { class: "num" }, "Oldest waiting"),
        el("th", {}, "Limits"), el("th", {}, ""))),
      el("tbody", {}, queues.map(q => el("tr", { "data-queue": q.queue },
        el("td", {}, el("a", { href: `#/jobs?queue=${encodeURIComponent(q.queue)}` }, q.queue), q.paused ? el("span", { class: "muted" }, " (paused)") : null),
        STATES.map(s => el("td", { class: "num" }, q.counts[s] ? el("a", { href: `#/jobs?queue=${encodeURIComponent(q.queue)}&state=${s}` }, q.counts[s].toLocaleString()) : "0")),
        el("td", { class: "num" }, age(q.oldestWaitingSeconds)),
        el("td", { class: "limits" }, limitsText(q)),
        el("td", {}, el("button", { class: "ghost", onclick: async () => {
          await call("POST", `queues/${encodeURIComponent(q.queue)}/${q.paused ? "resume" : "pause"}`);
          await refresh(true);
        } }, q.paused ? "Resume" : "Pause"),
          el("button", { class: "ghost edit-limits", onclick: ev => ev.target.closest("tr").querySelector(".limits").replaceChildren(limitsForm(q, refresh)) }, "Limits"))))));
  }
  // "4 running (3 now) · 2 per key · 10/1s", from the queue's limits; the rate window's end when it is full.
  function limitsText(q) {
    const l = q.limits || {};
    const parts = [];
    if (l.concurrency != null) parts.push(`${l.concurrency} running (${q.counts.running || 0} now)`);
    if (l.perKey != null) parts.push(`${l.perKey} per key`);
    if (l.rate != null) parts.push(`${l.rate}` + (q.rateLimitedUntil ? ` (full until ${new Date(q.rateLimitedUntil).toLocaleTimeString()})` : ""));
    return parts.length ? parts.join(" · ") : el("span", { class: "muted" }, "none");
  }
  // Edits the limits in place; an empty field removes that limit. Errors (a 400's detail) show beside the form.
  function limitsForm(q, refresh) {
    const l = q.limits || {};
    const field = (name, value, hint) => el("input", { name, value: value ?? "", placeholder: hint, size: 6 });
    const concurrency = field("concurrency", l.concurrency, "running"), perKey = field("perKey", l.perKey, "per key"), rate = field("rate", l.rate, "10/1s");
    const error = el("span", { class: "error" });
    // Digits go as a number; anything else as typed, so the server's 400 names what is wrong instead of it being dropped.
    const number = input => { const v = input.value.trim(); return v === "" ? null : /^\d+$/.test(v) ? Number(v) : v; };
    return el("form", { class: "limits-form", onsubmit: async ev => {
      ev.preventDefault();
      try {
        await call("PUT", `queues/${encodeURIComponent(q.queue)}/limits`,
          { concurrency: number(concurrency), perKey: number(perKey), rate: rate.value.trim() === "" ? null : rate.value.trim() });
        await refresh(true);
      } catch (e) { error.textContent = e.message; }
    } }, concurrency, perKey, rate, el("button", { type: "submit" }, "Save"), error);
  }
  function workerTable(workers, running) {
    if (workers.length === 0) return el("p", { class: "muted" }, "No workers are running.");
    const jobsOf = id => (running || []).filter(j => j.workerId === id);
    return el("table", { id: "workers" },
      el("thead", {}, el("tr", {}, ["Worker", "Host", "PID", "Queues", "Running", "Slots", "Jobs", "Started", "Last seen"].map(h => el("th", {}, h)))),
      el("tbody", {}, workers.map(w => el("tr", {},
        el("td", {}, w.id), el("td", {}, w.host), el("td", { class: "num" }, w.pid), el("td", {}, (w.queues || []).join(", ")),
        el("td", { class: "num" }, w.running), el("td", { class: "num" }, w.concurrency),
        el("td", { class: "worker-jobs" }, jobsOf(w.id).slice(0, 12).map(j => [el("a", { href: `#/jobs/${j.id}`, title: j.kind }, j.id), " "])),
        el("td", {}, time(w.startedAt)), el("td", {}, time(w.lastSeenAt))))));
  }
  // A small SVG bar chart, drawn with DOM calls (no chart library, no inline script or style).
  function chart(points) {
    const svgNs = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(svgNs, "svg");
    svg.setAttribute("class", "chart");
    svg.setAttribute("viewBox", "0 0 600 160");
    svg.setAttribute("preserveAspectRatio", "none");
    const max = Math.max(1, ...points.map(p => p.completed + p.failed));
    const width = 600 / Math.max(points.length, 1);
    points.forEach((p, i) => {
      const add = (value, y, color) => {
        const rect = document.createElementNS(svgNs, "rect");
        const h = 150 * value / max;
        rect.setAttribute("x", i * width + 1); rect.setAttribute("width", Math.max(width - 2, 1));
        rect.setAttribute("y", y - h); rect.setAttribute("height", h); rect.setAttribute("fill", color);
        const title = document.createElementNS(svgNs, "title");
        title.textContent = `${new Date(p.minute).toLocaleTimeString()}: ${p.completed} completed, ${p.failed} failed`;
        rect.append(title);
        svg.append(rect);
        return y - h;
      };
      const styles = getComputedStyle(document.documentElement);
      const top = add(p.completed, 155, styles.getPropertyValue("--ok"));
      add(p.failed, top, styles.getPropertyValue("--bad"));
    });
    const total = points.reduce((a, p) => [a[0] + p.completed, a[1] + p.failed], [0, 0]);
    return el("div", {}, svg, el("p", { class: "legend" }, el("span", { class: "ok" }, `■ completed ${total[0].toLocaleString()}`), "  ", el("span", { class: "bad" }, `■ failed ${total[1].toLocaleString()}`)));
  }

  // ---- jobs ----
  const FILTERS = ["state", "queue", "kind", "batch", "tag", "from", "to", "args"];
  async function jobs(params) {
    const filter = Object.fromEntries(FILTERS.filter(f => params.get(f)).map(f => [f, params.get(f)]));
    const inputs = {};
    const field = (name, label, input) => { inputs[name] = input; input.name = name; input.value = filter[name] || ""; return el("label", {}, label, input); };
    const stateSelect = el("select", {}, el("option", { value: "" }, "any"), STATES.map(s => el("option", { value: s }, s)));
    const form = el("form", { class: "filters", id: "filters", onsubmit: e => {
      e.preventDefault();
      const q = new URLSearchParams();
      for (const [k, input] of Object.entries(inputs)) if (input.value) q.set(k, input.value);
      location.hash = "#/jobs?" + q.toString();
    } },
      field("state", "State", stateSelect), field("queue", "Queue", el("input", { size: 10 })), field("kind", "Kind", el("input", { size: 14 })),
      field("batch", "Batch", el("input", { size: 10 })), field("tag", "Tag", el("input", { size: 8 })),
      field("from", "Created from", el("input", { type: "datetime-local" })), field("to", "Created before", el("input", { type: "datetime-local" })),
      field("args", "Args contain (JSON)", el("input", { size: 22, placeholder: '{"user":{"id":7}}' })),
      el("button", { type: "submit" }, "Filter"));
    const bulkStatus = el("span", { class: "muted", id: "bulk-status" });
    const bulk = action => el("button", { class: action === "delete" ? "danger" : "ghost", "data-bulk": action, onclick: () => startBulk(action, filter, bulkStatus) },
      `${action[0].toUpperCase()}${action.slice(1)} all matching`);
    const body = el("tbody");
    const table = el("table", { id: "jobs" }, el("thead", {}, el("tr", {}, ["ID", "Kind", "Queue", "State", "Attempt", "Progress", "Created", "Finished"].map(h => el("th", {}, h)))), body);
    const more = el("button", { class: "ghost", hidden: true }, "Next page");
    const summary = filter.batch ? el("div", { class: "panel", id: "batch-summary" }) : null;
    view.replaceChildren(...[el("h1", {}, "Jobs"), el("div", { class: "panel" }, form), summary,
      el("div", { class: "actions" }, bulk("retry"), bulk("cancel"), bulk("delete"), bulkStatus), el("div", { class: "panel" }, table, more)].filter(Boolean));
    // A batch filter shows the batch as a whole: finished of total and its mean progress, kept live by the events.
    const drawBatch = async () => {
      if (!summary) return;
      try {
        const b = await call("GET", `batches/${encodeURIComponent(filter.batch)}`);
        summary.replaceChildren(el("strong", {}, `Batch ${b.batchId}: `), `${b.finished.toLocaleString()} of ${b.total.toLocaleString()} finished${b.done ? " — done" : ""} `,
          progressCell({ percent: Math.round(b.progress) }), " ", STATES.filter(s => b.counts[s]).map(s => [badge(s), ` ${b.counts[s].toLocaleString()} `]));
      } catch (e) { summary.replaceChildren(el("span", { class: "muted" }, e.message)); }
    };
    await drawBatch();
    let batchDirty = false;
    if (summary) every(1000, () => { if (batchDirty) { batchDirty = false; drawBatch(); } });
    const rows = new Map();
    const query = new URLSearchParams(filter);
    for (const t of ["from", "to"]) if (filter[t]) query.set(t, new Date(filter[t]).toISOString());
    async function page(after) {
      const q = new URLSearchParams(query); q.set("limit", "50"); if (after) q.set("after", after);
      const result = await call("GET", "jobs?" + q.toString());
      for (const job of result.jobs) { const row = jobRow(job); rows.set(job.id, row); body.append(row); }
      if (result.jobs.length === 0 && !after) body.append(el("tr", {}, el("td", { colspan: 8, class: "muted" }, "No jobs match.")));
      more.hidden = !result.next;
      more.onclick = () => page(result.next);
    }
    await page(null);
    const live = new URLSearchParams();
    if (filter.queue) live.set("queue", filter.queue);
    if (filter.batch) live.set("batch", filter.batch);
    listen(live.toString(), change => {
      const row = rows.get(change.id);
      if (row) updateRow(row, change);
      batchDirty = true;
    });
  }
  function jobRow(job) {
    return el("tr", { "data-job": job.id },
      el("td", {}, el("a", { href: `#/jobs/${job.id}` }, job.id)), el("td", {}, job.kind), el("td", {}, job.queue),
      el("td", { class: "state-cell" }, badge(job.state)), el("td", { class: "num attempt-cell" }, `${job.attempt}/${job.maxAttempts}`),
      el("td", {}, progressCell(job.progress)), el("td", {}, time(job.createdAt)), el("td", { class: "finished-cell" }, time(job.finishedAt)));
  }
  function updateRow(row, change) {
    row.querySelector(".state-cell").replaceChildren(badge(change.state));
    row.querySelector(".attempt-cell").textContent = `${change.attempt}/${change.maxAttempts}`;
    setProgress(row.querySelector(".progress-cell"), change.progress);
    row.querySelector(".finished-cell").textContent = time(change.finishedAt);
  }
  async function startBulk(action, filter, status) {
    const described = Object.keys(filter).length ? Object.entries(filter).map(([k, v]) => `${k}=${v}`).join(", ") : "every job";
    if (!confirm(`${action} all jobs matching ${described}?`)) return;
    const f = { ...filter };
    for (const t of ["from", "to"]) if (f[t]) f[t] = new Date(f[t]).toISOString();
    if (f.args) { try { f.args = JSON.parse(f.args); } catch { flash("Args filter is not valid JSON.", true); return; } }
    try {
      const op = await call("POST", "jobs/actions", { action, filter: f });
      const poll = async () => {
        const s = await call("GET", `jobs/actions/${op.id}`);
        status.textContent = `${action}: ${s.processed.toLocaleString()} of ${s.total.toLocaleString()} processed, ${s.changed.toLocaleString()} changed${s.done ? " — done" : "…"}${s.error ? " (" + s.error + ")" : ""}`;
        status.dataset.done = s.done ? "true" : "false";
        if (!s.done) setTimeout(poll, 500);
      };
      await poll();
    } catch (e) { flash(e.message, true); }
  }

  // ---- one job ----
  async function jobPage(id) {
    const job = await call("GET", `jobs/${id}`);
    const render = job => {
      const fields = el("dl", { class: "fields" });
      for (const [k, v] of [["Kind", job.kind], ["Queue", job.queue], ["State", badge(job.state)], ["Attempt", `${job.attempt} of ${job.maxAttempts}`],
        ["Priority", job.priority], ["Progress", progressCell(job.progress)], ["Batch", job.batchId], ["Unique key", job.uniqueKey],
        ["Tags", (job.tags || []).join(", ")], ["Worker", job.workerId], ["Run at", time(job.runAt)], ["Lease until", time(job.leaseUntil)],
        ["Weight", job.weight !== 1 ? job.weight : null]])
        fields.append(el("dt", {}, k), el("dd", { "data-field": k.toLowerCase() }, v instanceof Node ? v : text(v)));
      const events = [["Enqueued", job.createdAt]];
      for (const error of job.errors || []) events.push([`${error.attempt ? `Attempt ${error.attempt} failed` : "Failed without running"}: ${error.type}: ${error.message}`, error.at]);
      if (job.startedAt) events.push([`Attempt ${job.attempt} started`, job.startedAt]);
      if (job.cancelRequestedAt) events.push(["Cancel requested", job.cancelRequestedAt]);
      if (job.finishedAt) events.push([`Finished: ${job.state}`, job.finishedAt]);
      events.sort((a, b) => new Date(a[1]) - new Date(b[1]));
      const actions = el("div", { class: "actions" },
        ["failed", "cancelled"].includes(job.state) ? el("button", { id: "retry", onclick: () => act("POST", `jobs/${id}/retry`) }, "Retry") : null,
        !["completed", "failed", "cancelled"].includes(job.state) ? el("button", { class: "ghost", id: "cancel", onclick: () => act("POST", `jobs/${id}/cancel`) }, "Cancel") : null,
        job.state !== "running" ? el("button", { class: "danger", id: "delete", onclick: async () => {
          if (confirm(`Delete job ${id}?`)) { await act("DELETE", `jobs/${id}`); location.hash = "#/jobs"; }
        } }, "Delete") : null);
      // Not running yet: say why (dependencies, its run time, a paused queue, a limit, no worker for its queue or kind, its turn).
      const why = ["waiting", "scheduled", "queued"].includes(job.state) ? el("div", { id: "why" }) : null;
      if (why) call("GET", `jobs/${id}/why`).then(w => why.replaceChildren(el("h2", {}, "Why is it not running?"),
        el("div", { class: "panel" }, el("ul", {}, w.reasons.map(r => el("li", { "data-code": r.code }, r.message)))))).catch(() => {});
      view.replaceChildren(...[
        el("h1", {}, `Job ${job.id} `, badge(job.state)), actions,
        el("div", { class: "panel" }, fields), why,
        el("h2", {}, "Args"), el("pre", { id: "args" }, json(job.args)),
        job.result !== null && job.result !== undefined ? [el("h2", {}, "Result"), el("pre", { id: "result" }, json(job.result))] : null,
        (job.dependencies || []).length ? [el("h2", {}, "Depends on"), el("div", { class: "panel" }, el("table", { id: "dependencies" },
          el("thead", {}, el("tr", {}, el("th", {}, "Job"), el("th", {}, "Kind"), el("th", {}, "State"), el("th", {}, "If it fails"))),
          el("tbody", {}, job.dependencies.map(d => el("tr", {},
            el("td", {}, el("a", { href: `#/jobs/${d.jobId}` }, String(d.jobId))), el("td", {}, text(d.kind)),
            el("td", {}, d.state ? badge(d.state) : "deleted"), el("td", {}, d.onFailure === "ignore" ? "run anyway" : "fail this job"))))))] : null,
        el("h2", {}, "Timeline"), el("div", { class: "panel" }, el("ol", { class: "timeline", id: "timeline" }, events.map(([what, at]) => el("li", {}, el("span", { class: "muted" }, time(at)), " ", what)))),
        (job.errors || []).length ? [el("h2", {}, "Errors"), ...job.errors.map(e => el("div", { class: "panel error-entry" },
          el("p", {}, el("strong", {}, `Attempt ${e.attempt}`), ` ${time(e.at)} — ${e.type}: `, e.message), e.stack ? el("pre", {}, e.stack) : null))] : null,
      ].flat().filter(Boolean));
    };
    async function act(method, path) {
      try { await call(method, path); render(await call("GET", `jobs/${id}`)); } catch (e) { flash(e.message, true); }
    }
    render(job);
    let pending = null;
    listen(`job=${encodeURIComponent(id)}`, change => {
      const bar = view.querySelector("[data-field=progress] .progress-cell");
      if (bar) setProgress(bar, change.progress);
      // State changes redraw the page from the job itself (errors, result, timeline); progress alone does not.
      if (change.state !== view.querySelector("h1 .state").dataset.state || change.attempt !== job.attempt) {
        clearTimeout(pending);
        pending = setTimeout(async () => { const fresh = await call("GET", `jobs/${id}`); Object.assign(job, fresh); render(fresh); }, 100);
      }
    });
  }

  // ---- schedules ----
  async function schedules() {
    const panel = el("div", { class: "panel" });
    view.replaceChildren(el("h1", {}, "Schedules"), panel);
    const refresh = async () => {
      const list = await call("GET", "schedules");
      if (list.length === 0) { panel.replaceChildren(el("p", { class: "muted" }, "No schedules: define one with o.AddSchedule(...), PUT /api/schedules/{name} or conveyor schedules add.")); return; }
      panel.replaceChildren(el("table", { id: "schedules" },
        el("thead", {}, el("tr", {}, ["Name", "Cron", "Zone", "Kind", "Queue", "Next", "Last", "State", ""].map(h => el("th", {}, h)))),
        el("tbody", {}, list.map(s => el("tr", { "data-schedule": s.name },
          el("td", {}, el("a", { href: `#/schedules/${encodeURIComponent(s.name)}` }, s.name)), el("td", {}, s.cron), el("td", {}, s.timeZone),
          el("td", {}, s.kind), el("td", {}, s.queue || ""), el("td", {}, time(s.nextRunAt)), el("td", {}, time(s.lastRunAt)),
          el("td", {}, !s.enabled ? "disabled" : s.paused ? "paused" : "active"),
          el("td", {}, scheduleActions(s, refresh)))))));
    };
    const sources = el("div", { class: "panel" });
    view.append(el("h2", {}, "Table sources"), sources);
    const refreshSources = async () => {
      let list;
      try { list = await call("GET", "sources"); } catch (e) { sources.replaceChildren(el("p", { class: "muted" }, e.message)); return; }
      if (list.length === 0) { sources.replaceChildren(el("p", { class: "muted" }, "No table sources: add one with conveyor sources add, PUT /api/sources/{name} or o.AddTableSource(...).")); return; }
      sources.replaceChildren(el("table", { id: "sources" },
        el("thead", {}, el("tr", {}, ["Name", "Table", "Status", "Kind", "Every", "Last run", "Moved last", "Moved in all", ""].map(h => el("th", {}, h)))),
        el("tbody", {}, list.map(x => el("tr", { "data-source": x.name },
          el("td", {}, x.name), el("td", {}, x.table), el("td", {}, `${x.statusColumn}: ${x.fromStatus} → ${x.toStatus}`), el("td", {}, x.kind),
          el("td", { class: "num" }, `${x.every} s`), el("td", {}, time(x.lastPolledAt)),
          el("td", { class: "num" }, x.lastMoved.toLocaleString()), el("td", { class: "num" }, x.totalMoved.toLocaleString()),
          el("td", {}, el("button", { class: "ghost", onclick: async () => {
            try { const r = await call("POST", `sources/${encodeURIComponent(x.name)}/run`); flash(`${x.name}: ${r.moved} rows enqueued`); await refreshSources(); } catch (e) { flash(e.message, true); }
          } }, "Run now")))))));
    };
    await Promise.all([refresh(), refreshSources()]);
    every(5000, () => { refresh().catch(() => {}); refreshSources().catch(() => {}); });
  }
  function scheduleActions(s, refresh) {
    const act = async (path) => { try { await call("POST", `schedules/${encodeURIComponent(s.name)}/${path}`); await refresh(); } catch (e) { flash(e.message, true); } };
    return el("span", { class: "actions" },
      el("button", { class: "ghost", onclick: () => act(s.paused ? "resume" : "pause") }, s.paused ? "Resume" : "Pause"),
      el("button", { class: "ghost", onclick: () => act("trigger") }, "Run now"));
  }
  async function schedulePage(name) {
    const render = async () => {
      const page = await call("GET", `schedules/${encodeURIComponent(name)}?limit=100`);
      const s = page.schedule;
      const fields = el("dl", { class: "fields" });
      for (const [k, v] of [["Cron", s.cron], ["Zone", s.timeZone], ["Kind", s.kind], ["Queue", s.queue], ["Args", JSON.stringify(s.args)],
        ["Missed ticks", s.missed], ["Overlap", s.overlap], ["Jitter", s.jitterSeconds ? `${s.jitterSeconds} s` : ""], ["Next", time(s.nextRunAt)], ["Last", time(s.lastRunAt)],
        ["State", !s.enabled ? "disabled" : s.paused ? "paused" : "active"]])
        fields.append(el("dt", {}, k), el("dd", {}, text(v)));
      view.replaceChildren(el("h1", {}, `Schedule ${s.name}`), scheduleActions(s, render), el("div", { class: "panel" }, fields),
        el("h2", {}, "History"), el("div", { class: "panel" }, el("table", { id: "history" },
          el("thead", {}, el("tr", {}, ["Tick", "Fate", "Job", "Recorded"].map(h => el("th", {}, h)))),
          el("tbody", {}, page.history.map(r => el("tr", {}, el("td", {}, time(r.scheduledFor)), el("td", {}, r.fate),
            el("td", {}, r.jobId ? el("a", { href: `#/jobs/${r.jobId}` }, r.jobId) : ""), el("td", {}, time(r.recordedAt))))))));
    };
    await render();
    every(3000, () => render().catch(() => {}));
  }

  async function workers() {
    const panel = el("div", { class: "panel" });
    view.replaceChildren(el("h1", {}, "Workers"), panel);
    const refresh = async () => {
      const [workers, running] = await Promise.all([call("GET", "workers"), call("GET", "jobs?state=running&limit=500")]);
      panel.replaceChildren(workerTable(workers, running.jobs));
    };
    await refresh();
    every(5000, () => refresh().catch(() => {}));
  }

  // ---- sign-in, theme, routing ----
  function showSignIn() {
    leaveView();
    document.getElementById("signin-view").hidden = false;
    view.replaceChildren();
    if (location.search.includes("signin=failed")) document.getElementById("signin-error").hidden = false;
  }
  const themeButton = document.getElementById("theme");
  function applyTheme(theme) {
    if (theme === "auto") document.documentElement.removeAttribute("data-theme");
    else document.documentElement.setAttribute("data-theme", theme);
    themeButton.textContent = `Theme: ${theme}`;
    themeButton.title = theme === "auto" ? "Theme: follows the system" : `Theme: ${theme}`;
  }
  themeButton.addEventListener("click", () => {
    const next = { auto: "light", light: "dark", dark: "auto" }[localStorage.getItem("conveyor-theme") || "auto"];
    localStorage.setItem("conveyor-theme", next);
    applyTheme(next);
  });
  applyTheme(localStorage.getItem("conveyor-theme") || "auto");

  async function route() {
    leaveView();
    if (meta("conveyor-signin") === "required") { showSignIn(); return; }
    document.getElementById("signin-view").hidden = true;
    document.getElementById("signout").hidden = meta("conveyor-signin") !== "signed-in";
    const hash = location.hash.replace(/^#/, "") || "/";
    const [path, search] = hash.split("?");
    const params = new URLSearchParams(search || "");
    const section = path.startsWith("/jobs") ? "jobs" : path.startsWith("/workers") ? "workers" : path.startsWith("/schedules") ? "schedules" : "overview";
    document.querySelectorAll("nav a").forEach(a => a.classList.toggle("active", a.dataset.nav === section));
    try {
      const job = path.match(/^\/jobs\/(\d+)$/);
      const schedule = path.match(/^\/schedules\/(.+)$/);
      if (job) await jobPage(job[1]);
      else if (schedule) await schedulePage(decodeURIComponent(schedule[1]));
      else if (section === "schedules") await schedules();
      else if (section === "jobs") await jobs(params);
      else if (section === "workers") await workers();
      else await overview();
    } catch (e) {
      if (e.message !== "Sign in needed") view.replaceChildren(el("p", { class: "error" }, e.message));
    }
  }
  window.addEventListener("hashchange", route);
  route();
})();
