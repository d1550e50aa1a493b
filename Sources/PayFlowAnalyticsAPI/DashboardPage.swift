/// The live dashboard served at `GET /` and `GET /dashboard`: one HTML page
/// with its CSS and JavaScript inline. It receives its figures pushed by
/// ``DashboardFeed`` (server-sent events from `/dashboard/events`, a sample
/// every two seconds, the 15-minute chart history on connecting) and drives
/// the generator through the analytics process's `/generator/...`
/// pass-through (``GeneratorProxy``).
///
/// Why inline and dependency-free: the page must work wherever the binary
/// runs, with no build step, no npm and no CDN (users behind a firewall, and
/// tests without a network), and it cannot drift from the binary that serves
/// it. Charts are SVG drawn by the page's own script. Every figure the page
/// shows carries an `id` (or `data-*` attributes), which is how the headless
/// browser tests compare it with the API. Every time on it says which clock
/// it is: business time (the generator's simulated clock, hours ahead) or the
/// wall clock.
enum DashboardPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>PayFlow dashboard</title>
    <style>
      :root { --bg: #0f1720; --panel: #17212b; --tile: #1e2a36; --line: #243140; --text: #e6edf3; --muted: #8b98a5; --accent: #4fb3ff; --bad: #ff6b6b; --good: #3ecf8e; }
      * { box-sizing: border-box; }
      body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--text); }
      header { display: flex; flex-wrap: wrap; gap: 4px 16px; justify-content: space-between; align-items: baseline; padding: 12px 16px; border-bottom: 1px solid var(--line); }
      header h1 { font-size: 18px; margin: 0; }
      #status { color: var(--muted); }
      #status.error, .error { color: var(--bad); }
      .ok { color: var(--good); }
      main { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 440px), 1fr)); gap: 12px; padding: 12px; }
      section { background: var(--panel); border-radius: 8px; padding: 12px; min-width: 0; }
      section.wide { grid-column: 1 / -1; }
      h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 8px; }
      h3 { font-size: 13px; color: var(--muted); font-weight: normal; margin: 10px 0 4px; }
      .note { color: var(--muted); font-size: 12px; margin: 6px 0 0; }
      .tiles { display: grid; grid-template-columns: repeat(auto-fit, minmax(130px, 1fr)); gap: 8px; margin-bottom: 8px; }
      .tile { background: var(--tile); border-radius: 6px; padding: 8px; min-width: 0; }
      .tile .value { font-size: 22px; font-variant-numeric: tabular-nums; overflow-wrap: anywhere; }
      .tile .label { color: var(--muted); font-size: 12px; }
      /* A table scrolls inside its own box: the page itself never gets wider than the screen. */
      .scroll { overflow-x: auto; max-width: 100%; }
      table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
      th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
      td.wrap { white-space: normal; min-width: 160px; overflow-wrap: anywhere; }
      th { color: var(--muted); font-weight: normal; }
      th small { display: block; font-size: 11px; }
      td.num, th.num { text-align: right; }
      svg { width: 100%; height: auto; display: block; }
      svg text { fill: var(--muted); font: 15px system-ui, sans-serif; }
      .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 320px), 1fr)); gap: 12px; }
      .legend { display: flex; flex-wrap: wrap; gap: 2px 12px; font-size: 12px; margin: 4px 0 8px; }
      .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
      .controls { display: grid; grid-template-columns: repeat(auto-fit, minmax(min(100%, 300px), 1fr)); gap: 12px; }
      .controls fieldset { border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; margin: 0; min-width: 0; }
      .controls legend { color: var(--muted); font-size: 12px; padding: 0 4px; }
      .row { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; margin: 4px 0; }
      label { display: inline-flex; flex-wrap: wrap; gap: 4px; align-items: center; }
      input, select, button { font: inherit; color: var(--text); background: var(--tile); border: 1px solid #33465a; border-radius: 4px; padding: 4px 6px; max-width: 100%; }
      input[type=number] { width: 7em; }
      button { cursor: pointer; background: #24405c; }
      button:hover { background: #2d5378; }
      button:disabled { opacity: .5; cursor: default; }
      #control-result { margin-top: 8px; min-height: 1.4em; overflow-wrap: anywhere; }
      [hidden] { display: none !important; }
    </style>
    </head>
    <body>
    <header>
      <h1>PayFlow</h1>
      <span id="status">connecting…</span>
    </header>
    <main>
      <section>
        <h2>Totals</h2>
        <div class="tiles">
          <div class="tile"><div class="value" id="events-total">–</div><div class="label">events</div></div>
          <div class="tile"><div class="value" id="alerts-total">–</div><div class="label">alerts</div></div>
          <div class="tile"><div class="value" id="mismatches-total">–</div><div class="label">mismatches</div></div>
          <div class="tile"><div class="value" id="blocked-accounts">–</div><div class="label">blocked accounts</div></div>
        </div>
        <div class="scroll"><table id="types"><thead><tr><th>type</th><th class="num">events</th><th class="num">events/s</th></tr></thead><tbody></tbody></table></div>
      </section>
      <section>
        <h2>Consumer groups</h2>
        <div class="scroll"><table id="groups"><thead><tr><th>group</th><th>stream</th><th class="num">consumers</th><th class="num">pending</th><th class="num">lag</th><th class="num">done/s</th><th class="num">oldest pending<small>age, wall clock</small></th></tr></thead><tbody></tbody></table></div>
      </section>
      <section class="wide">
        <h2>Per consumer group, last 15 minutes</h2>
        <div class="legend" id="group-legend"></div>
        <div class="charts">
          <div><h3>lag (entries not yet read)</h3><svg id="lag-chart" viewBox="0 0 480 220" role="img" aria-label="lag per group"></svg></div>
          <div><h3>throughput (entries done per second)</h3><svg id="throughput-chart" viewBox="0 0 480 220" role="img" aria-label="throughput per group"></svg></div>
          <div><h3>oldest pending entry (age in seconds)</h3><svg id="age-chart" viewBox="0 0 480 220" role="img" aria-label="oldest pending age per group"></svg></div>
        </div>
        <p class="note">Time axis: wall clock, sampled every 2 s by the analytics process. The 15 minutes are kept in its memory: a restart of analytics starts the charts afresh. <span id="history-span"></span></p>
      </section>
      <section>
        <h2>Alerts per rule</h2>
        <svg id="rules-chart" viewBox="0 0 480 120" role="img" aria-label="alerts per rule"></svg>
        <div class="scroll"><table id="rules"><thead><tr><th>rule</th><th class="num">alerts</th></tr></thead><tbody></tbody></table></div>
      </section>
      <section>
        <h2>Detection against the generator's ground truth</h2>
        <div class="tiles">
          <div class="tile"><div class="value" id="run-precision">–</div><div class="label" id="run-precision-label">fraud precision, current run</div></div>
          <div class="tile"><div class="value" id="run-incident-recall">–</div><div class="label" id="run-incident-recall-label">incident recall, current run</div></div>
          <div class="tile"><div class="value" id="precision">–</div><div class="label">fraud precision, all runs</div></div>
          <div class="tile"><div class="value" id="incident-recall">–</div><div class="label">incident recall, all runs</div></div>
          <div class="tile"><div class="value" id="event-recall">–</div><div class="label">event recall, all runs</div></div>
          <div class="tile"><div class="value" id="reconciliation-found">–</div><div class="label">mismatches found / injected</div></div>
        </div>
      </section>
      <section>
        <h2>Recent alerts</h2>
        <div class="scroll"><table id="recent-alerts"><thead><tr><th>detected<small>business time, UTC</small></th><th>rule</th><th>account</th><th>reason</th></tr></thead><tbody></tbody></table></div>
        <p class="note">Business time: the generator's simulated clock (its events' occurred_at), which may run hours ahead of the wall clock.</p>
      </section>
      <section>
        <h2>Recent mismatches</h2>
        <div class="scroll"><table id="recent-mismatches"><thead><tr><th>detected<small>wall clock, UTC</small></th><th>kind</th><th>transaction</th><th>expected → actual</th></tr></thead><tbody></tbody></table></div>
        <p class="note">Wall clock: when reconciliation found the mismatch.</p>
      </section>
      <section class="wide" id="controls">
        <h2>Controls</h2>
        <form id="token-form" class="row">
          <label>Admin token <input type="password" id="token" autocomplete="off" placeholder="ADMIN_TOKEN of the generator"></label>
          <button type="submit" id="token-save">Use</button>
          <button type="button" id="token-forget">Forget</button>
          <span id="token-state" class="note"></span>
        </form>
        <p class="note">Kept in this browser tab (sessionStorage) until it closes; sent only to the generator's API, through this port's /generator/.</p>
        <div class="controls">
          <fieldset>
            <legend>Generator</legend>
            <div id="generator-status" data-state="">–</div>
            <div class="row"><button type="button" id="generator-start">Start</button><button type="button" id="generator-stop">Stop</button></div>
          </fieldset>
          <fieldset>
            <legend>Rate and load profile (a running generator takes it within a second)</legend>
            <form id="config-form">
              <div class="row"><label>events/s <input type="number" id="rate" min="0.1" step="any" placeholder="as fast as possible"></label>
                <label>profile <select id="profile-kind"><option value="constant">constant</option><option value="ramp">ramp</option><option value="burst">burst</option><option value="daily">daily</option></select></label></div>
              <div class="row" data-profile="ramp" hidden><label>from <input type="number" id="ramp-from" min="0" step="any" value="10"></label><label>to <input type="number" id="ramp-to" min="0" step="any" value="200"></label><label>over s <input type="number" id="ramp-duration" min="1" step="any" value="300"></label></div>
              <div class="row" data-profile="burst" hidden><label>factor <input type="number" id="burst-factor" min="1" step="any" value="5"></label><label>for s <input type="number" id="burst-seconds" min="1" step="any" value="10"></label><label>every s <input type="number" id="burst-period" min="1" step="any" value="60"></label></div>
              <div class="row" data-profile="daily" hidden><label>period s <input type="number" id="daily-period" min="1" step="any" value="600"></label></div>
              <div class="row"><button type="submit" id="config-apply">Apply</button></div>
            </form>
          </fieldset>
          <fieldset>
            <legend>Fraud scenario</legend>
            <div class="row"><select id="scenario"></select><button type="button" id="scenario-run">Run now</button></div>
            <div id="scenario-description" class="note"></div>
          </fieldset>
          <fieldset>
            <legend>Dead-letter streams</legend>
            <div class="scroll"><table id="dead-letters"><thead><tr><th>group</th><th class="num">entries</th><th></th></tr></thead><tbody></tbody></table></div>
            <div id="dead-letters-note" class="note"></div>
          </fieldset>
        </div>
        <div id="control-result" role="status" data-action="" data-outcome=""></div>
      </section>
      <section class="wide" id="figures" hidden>
        <h2>Notifications and breakdowns</h2>
        <div class="charts">
          <div id="notifications-box" hidden><h3>notifications per channel</h3><div class="scroll"><table id="notifications"><thead><tr><th>channel</th><th class="num">sent</th><th class="num">failed</th><th class="num">retried</th></tr></thead><tbody></tbody></table></div></div>
          <div id="merchants-box" hidden><h3>top merchants</h3><div class="scroll"><table id="merchants"><thead><tr><th>merchant</th><th class="num">transactions</th><th class="num">alerts</th></tr></thead><tbody></tbody></table></div></div>
          <div id="countries-box" hidden><h3>top countries</h3><div class="scroll"><table id="countries"><thead><tr><th>country</th><th class="num">transactions</th><th class="num">alerts</th></tr></thead><tbody></tbody></table></div></div>
        </div>
      </section>
    </main>
    <script>
    "use strict";
    const COLORS = ["#4fb3ff", "#3ecf8e", "#ffb86b", "#ff6b6b", "#c792ea", "#f7d154", "#7fdbca", "#f78c6c", "#82aaff", "#c3e88d", "#ff5370", "#89ddff"];
    const TOKEN_KEY = "payflow-admin-token";
    const $ = (id) => document.getElementById(id);
    const fmt = (n) => n == null ? "–" : Number(n).toLocaleString("en-US");
    const pct = (x) => x == null ? "–" : x.toFixed(3);
    const num = (x, digits) => x == null ? "–" : Number(x).toFixed(digits);
    /** "2026-05-28T20:26:40.000000Z" -> "2026-05-28 20:26:40": the column header names the clock. */
    const when = (text) => text ? String(text).replace("T", " ").replace(/\.\d+Z$|Z$/, "") : "–";
    const clock = (ms) => new Date(ms).toISOString().slice(11, 19);
    function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
    function fill(tableId, rows) {
      $(tableId).querySelector("tbody").replaceChildren(...rows.map(([cells, data]) => {
        const tr = document.createElement("tr");
        for (const [key, value] of Object.entries(data || {})) tr.dataset[key] = value;
        tr.append(...cells);
        return tr;
      }));
    }
    const SVG = "http://www.w3.org/2000/svg";
    function svgNode(name, attributes, text) {
      const node = document.createElementNS(SVG, name);
      for (const [key, value] of Object.entries(attributes)) node.setAttribute(key, value);
      if (text != null) node.textContent = text;
      return node;
    }

    // MARK: - Live figures, pushed by the analytics process

    let history = [];           // [{t, g: {key: [lag, donePerSecond, ageSeconds]}}]
    let windowMs = 15 * 60 * 1000;
    let previousTotals = null;  // {t, counts}, for events/s per type
    const colorOf = {};         // series key -> color, stable while the page is open

    function addPoint(point) {
      if (history.length && history[history.length - 1].t >= point.t) return;
      history.push(point);
      while (history.length && history[0].t < point.t - windowMs) history.shift();
    }

    function lineChart(svg, metric) {
      const w = 480, h = 220, left = 52, right = 8, top = 10, bottom = 28;
      const now = history.length ? history[history.length - 1].t : Date.now(), from = now - windowMs;
      const keys = Object.keys(colorOf);
      let max = 0;
      for (const p of history) for (const k of keys) { const v = p.g[k] ? p.g[k][metric] : null; if (v != null && v > max) max = v; }
      // A round top (1, 2 or 5 times a power of ten), so the grid's labels are round too.
      const magnitude = Math.pow(10, Math.floor(Math.log10(Math.max(max, 1e-9))));
      max = max <= 0 ? 1 : [1, 2, 5, 10].map(m => m * magnitude).find(m => m >= max);
      const x = (t) => left + (w - left - right) * (t - from) / windowMs, y = (v) => h - bottom - (h - top - bottom) * v / max;
      const nodes = [];
      for (let i = 0; i <= 4; i++) {
        const value = max * i / 4, yy = y(value);
        nodes.push(svgNode("line", { x1: left, x2: w - right, y1: yy, y2: yy, stroke: "#243140" }));
        nodes.push(svgNode("text", { x: left - 4, y: yy + 4, "text-anchor": "end" }, Number(value.toPrecision(3)).toLocaleString("en-US")));
      }
      for (const minutes of [15, 10, 5, 0]) {
        nodes.push(svgNode("text", { x: x(now - minutes * 60000), y: h - 6, "text-anchor": minutes === 15 ? "start" : (minutes === 0 ? "end" : "middle") },
          minutes === 0 ? "now " + clock(now) : "−" + minutes + " min"));
      }
      for (const key of keys) {
        let d = "", pen = "M";
        for (const p of history) {
          const v = p.g[key] ? p.g[key][metric] : null;
          if (v == null) { pen = "M"; continue; }
          d += pen + x(p.t).toFixed(1) + " " + y(v).toFixed(1) + " "; pen = "L";
        }
        if (d) nodes.push(svgNode("path", { d, fill: "none", stroke: colorOf[key], "stroke-width": 2, "data-series": key }));
      }
      svg.replaceChildren(...nodes);
    }

    function drawCharts() {
      for (const p of history) for (const key of Object.keys(p.g)) if (!(key in colorOf)) colorOf[key] = COLORS[Object.keys(colorOf).length % COLORS.length];
      $("group-legend").replaceChildren(...Object.entries(colorOf).map(([key, color]) => {
        const span = document.createElement("span"), swatch = document.createElement("i");
        swatch.style.background = color; span.append(swatch, key); return span;
      }));
      lineChart($("lag-chart"), 0);
      lineChart($("throughput-chart"), 1);
      lineChart($("age-chart"), 2);
      $("history-span").textContent = history.length
        ? "Charted since " + clock(history[0].t) + " wall clock (UTC), " + history.length + " samples." : "";
    }

    function drawBars(svg, bars) {
      const w = 480, rowH = 24, h = Math.max(24, bars.length * rowH), labelW = 150, max = Math.max(1, ...bars.map(b => b.value));
      svg.setAttribute("viewBox", "0 0 " + w + " " + h);
      svg.replaceChildren(...bars.flatMap((b, i) => {
        const barW = (w - labelW - 70) * b.value / max, yy = i * rowH;
        return [
          svgNode("text", { x: 0, y: yy + 16 }, b.name),
          svgNode("rect", { x: labelW, y: yy + 4, width: Math.max(1, barW), height: rowH - 8, fill: COLORS[i % COLORS.length] }),
          svgNode("text", { x: labelW + barW + 6, y: yy + 16 }, fmt(b.value)),
        ];
      }));
    }

    function render(s) {
      if (s.summary) {
        const counts = {};
        for (const t of s.summary.totals) counts[t.type] = (counts[t.type] || 0) + t.count;
        const total = Object.values(counts).reduce((a, b) => a + b, 0);
        $("events-total").textContent = fmt(total);
        $("alerts-total").textContent = fmt(s.summary.alerts_total);
        $("mismatches-total").textContent = fmt(s.summary.mismatches_total);
        $("blocked-accounts").textContent = fmt(s.summary.blocked_accounts);
        const rates = {};
        for (const type of Object.keys(counts)) {
          rates[type] = previousTotals && s.taken_at > previousTotals.t
            ? Math.max(0, (counts[type] - (previousTotals.counts[type] || 0)) * 1000 / (s.taken_at - previousTotals.t)) : null;
        }
        previousTotals = { t: s.taken_at, counts };
        fill("types", Object.keys(counts).sort().map(type =>
          [[cell(type), cell(fmt(counts[type]), "num"), cell(num(rates[type], 1), "num")], { type, count: counts[type] }]));
      }
      fill("groups", s.groups.map(g => [[cell(g.group), cell(g.stream), cell(fmt(g.consumers), "num"), cell(fmt(g.pending), "num"),
        cell(g.lag == null ? "?" : fmt(g.lag), "num"), cell(num(g.done_per_second, 1), "num"), cell(num(g.oldest_pending_age_seconds, 1) + " s", "num")],
        { group: g.group, stream: g.stream, lag: g.lag == null ? "" : g.lag, pending: g.pending }]));
      if (s.alerts) {
        fill("rules", s.alerts.per_rule.map(r => [[cell(r.rule), cell(fmt(r.count), "num")], { rule: r.rule, count: r.count }]));
        drawBars($("rules-chart"), s.alerts.per_rule.map(r => ({ name: r.rule, value: r.count })));
        fill("recent-alerts", s.alerts.recent.map(a => [[cell(when(a.detected_at)), cell(a.rule), cell(a.account), cell(a.reason, "wrap")], { alertId: a.alert_id }]));
      }
      if (s.mismatches) {
        fill("recent-mismatches", s.mismatches.recent.map(m => [[cell(when(m.detected_at)), cell(m.kind), cell(m.transaction_id), cell(m.expected + " → " + m.actual, "wrap")], { mismatchId: m.mismatch_id }]));
      }
      const detection = s.detection;
      if (detection) {
        $("precision").textContent = pct(detection.fraud.precision);
        $("incident-recall").textContent = pct(detection.fraud.incident_recall);
        $("event-recall").textContent = pct(detection.fraud.event_recall);
        // Per run as well as overall: a bad run cannot hide in the total, nor the total in a run.
        const run = detection.fraud_current_run;
        $("run-precision").textContent = run ? pct(run.precision) : "–";
        $("run-incident-recall").textContent = run ? pct(run.incident_recall) : "–";
        const runName = detection.current_run == null ? "current run" : "run " + detection.current_run;
        $("run-precision-label").textContent = "fraud precision, " + runName;
        $("run-incident-recall-label").textContent = "incident recall, " + runName;
        $("reconciliation-found").textContent = fmt(detection.reconciliation.found) + " / " + fmt(detection.reconciliation.injected);
      }
      const status = $("status");
      status.className = s.errors.length ? "error" : "";
      status.textContent = (s.errors.length ? "incomplete: " + s.errors.join("; ") + " · " : "live · ") + "updated " + clock(s.taken_at) + " wall clock (UTC)";
      document.body.dataset.sampleAt = s.taken_at;
      document.body.dataset.loaded = "true";
    }

    function connect() {
      const source = new EventSource("/dashboard/events");
      source.addEventListener("history", (e) => { const h = JSON.parse(e.data); windowMs = h.window_ms; history = []; h.points.forEach(addPoint); drawCharts(); });
      source.addEventListener("sample", (e) => { const s = JSON.parse(e.data); addPoint(s.point); drawCharts(); render(s); });
      // EventSource reconnects by itself (the server asks for 3 s); the page says so meanwhile.
      source.onerror = () => { const status = $("status"); status.className = "error"; status.textContent = "disconnected from analytics; reconnecting…"; };
    }
    connect();

    // MARK: - Controls: the generator's REST API through /generator/ on this port

    async function api(method, path, body) {
      const headers = {};
      const token = sessionStorage.getItem(TOKEN_KEY);
      if (token) headers["Authorization"] = "Bearer " + token;
      if (body !== undefined) headers["Content-Type"] = "application/json";
      const response = await fetch("/generator" + path, { method, headers, cache: "no-store", body: body === undefined ? undefined : JSON.stringify(body) });
      const text = await response.text();
      let json = null;
      try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
      if (!response.ok) {
        const message = (json && json.error && json.error.message) || (json && json.message) || text || response.statusText;
        const error = new Error(method + " " + path + ": HTTP " + response.status + ": " + message);
        error.status = response.status;
        throw error;
      }
      return json;
    }

    function showResult(action, outcome, message) {
      const box = $("control-result");
      box.dataset.action = action; box.dataset.outcome = outcome;
      box.className = outcome === "error" ? "error" : (outcome === "ok" ? "ok" : "");
      box.textContent = action + ": " + message;
    }

    async function act(action, run) {
      showResult(action, "pending", "…");
      try { showResult(action, "ok", await run()); }
      catch (error) { showResult(action, "error", error.message); }
      refreshGenerator(); refreshDeadLetters();
    }

    function showToken() {
      const token = sessionStorage.getItem(TOKEN_KEY);
      $("token-state").textContent = token ? "token set for this tab" : "no token: reading works, changing needs one";
    }
    $("token-form").addEventListener("submit", (e) => {
      e.preventDefault();
      const value = $("token").value.trim();
      if (value) sessionStorage.setItem(TOKEN_KEY, value); else sessionStorage.removeItem(TOKEN_KEY);
      $("token").value = "";
      showToken();
    });
    $("token-forget").addEventListener("click", () => { sessionStorage.removeItem(TOKEN_KEY); showToken(); });

    let generator = null;  // the last GET /v1/generator
    async function refreshGenerator() {
      try {
        generator = await api("GET", "/v1/generator");
        const c = generator.configuration, box = $("generator-status");
        box.dataset.state = generator.state;
        box.className = "";
        box.textContent = generator.state + " · target " + (c.events_per_second == null ? "as fast as possible" : fmt(c.events_per_second) + " events/s")
          + " · achieved " + num(generator.achieved_rate, 1) + " events/s · emitted " + fmt(generator.emitted_total)
          + (c.load_profile ? " · profile " + c.load_profile.kind : "");
        if (document.activeElement !== $("rate") && c.events_per_second != null && !$("rate").dataset.edited) $("rate").value = c.events_per_second;
        if (c.load_profile && !$("profile-kind").dataset.edited) { $("profile-kind").value = c.load_profile.kind; showProfile(); }
      } catch (error) {
        const box = $("generator-status");
        box.dataset.state = "unknown"; box.className = "error"; box.textContent = error.message;
      }
    }

    $("generator-start").addEventListener("click", () => act("start", async () => (await api("POST", "/v1/generator/start")).state));
    $("generator-stop").addEventListener("click", () => act("stop", async () => (await api("POST", "/v1/generator/stop")).state));

    function showProfile() {
      const kind = $("profile-kind").value;
      for (const row of document.querySelectorAll("[data-profile]")) row.hidden = row.dataset.profile !== kind;
    }
    $("profile-kind").addEventListener("change", () => { $("profile-kind").dataset.edited = "true"; showProfile(); });
    $("rate").addEventListener("input", () => { $("rate").dataset.edited = "true"; });
    function profileFromForm(kind) {
      const v = (id) => Number($(id).value);
      switch (kind) {
        case "ramp": return { kind, from_events_per_second: v("ramp-from"), to_events_per_second: v("ramp-to"), duration_seconds: v("ramp-duration") };
        case "burst": return { kind, factor: v("burst-factor"), burst_seconds: v("burst-seconds"), period_seconds: v("burst-period") };
        case "daily": return { kind, period_seconds: v("daily-period") };
        default: return { kind: "constant" };
      }
    }
    $("config-form").addEventListener("submit", (e) => {
      e.preventDefault();
      act("configure", async () => {
        // PUT replaces the whole configuration: change the current one.
        const status = await api("GET", "/v1/generator");
        const config = status.configuration;
        const rate = $("rate").value.trim();
        if (rate === "") delete config.events_per_second; else config.events_per_second = Number(rate);
        const kind = $("profile-kind").value;
        // A generator without load profiles refuses the field: send it only when it means something.
        if (kind !== "constant" || config.load_profile) config.load_profile = profileFromForm(kind);
        const answer = await api("PUT", "/v1/generator/config", config);
        delete $("rate").dataset.edited; delete $("profile-kind").dataset.edited;
        const c = answer.configuration;
        return "target " + (c.events_per_second == null ? "as fast as possible" : c.events_per_second + " events/s") + (c.load_profile ? ", profile " + c.load_profile.kind : "");
      });
    });

    async function loadScenarios() {
      try {
        const list = await api("GET", "/v1/scenarios");
        $("scenario").replaceChildren(...list.scenarios.map(s => { const o = document.createElement("option"); o.value = s.name; o.textContent = s.name; o.title = s.description; return o; }));
        const describe = () => { const s = list.scenarios.find(x => x.name === $("scenario").value); $("scenario-description").textContent = s ? s.description : ""; };
        $("scenario").onchange = describe; describe();
      } catch (error) { $("scenario-description").textContent = error.message; }
    }
    $("scenario-run").addEventListener("click", () => act("scenario", async () => {
      const name = $("scenario").value;
      const run = await api("POST", "/v1/scenarios/" + encodeURIComponent(name));
      $("control-result").dataset.events = run.events.length;
      return run.scenario + " emitted " + run.events.length + " events";
    }));

    /** Each group's dead-letter length from GET /v1/dead-letters, whatever the list is called. */
    function deadLetterRows(answer) {
      const list = Array.isArray(answer) ? answer : (Object.values(answer || {}).find(Array.isArray) || []);
      return list.map(row => ({ group: row.group || row.name, length: row.length ?? row.entries ?? row.count ?? 0 }));
    }
    async function refreshDeadLetters() {
      try {
        const rows = deadLetterRows(await api("GET", "/v1/dead-letters"));
        $("dead-letters-note").textContent = rows.length ? "" : "no dead-letter streams";
        fill("dead-letters", rows.map(r => {
          const button = document.createElement("button");
          button.type = "button"; button.textContent = "Replay"; button.disabled = r.length === 0; button.dataset.replay = r.group;
          button.addEventListener("click", () => act("replay", async () => {
            const answer = await api("POST", "/v1/dead-letters/" + encodeURIComponent(r.group) + "/replay");
            return "replayed " + answer.replayed + " entries of " + r.group;
          }));
          const td = document.createElement("td"); td.append(button);
          return [[cell(r.group), cell(fmt(r.length), "num"), td], { group: r.group, length: r.length }];
        }));
      } catch (error) {
        fill("dead-letters", []);
        $("dead-letters-note").textContent = error.status === 404 ? "this generator has no dead-letter API" : error.message;
      }
    }

    // MARK: - Notifications and breakdowns (shown when the analytics API has them)

    async function optional(path) {
      const response = await fetch(path, { cache: "no-store" });
      return response.status === 200 ? response.json() : null;
    }
    async function refreshFigures() {
      const [notifications, merchants, countries] = await Promise.all([
        optional("/v1/stats/notifications"), optional("/v1/stats/breakdown?by=merchant&limit=10"), optional("/v1/stats/breakdown?by=country&limit=10"),
      ].map(p => p.catch(() => null)));
      $("notifications-box").hidden = !notifications;
      if (notifications) fill("notifications", notifications.channels.map(c => [[cell(c.channel), cell(fmt(c.sent), "num"), cell(fmt(c.failed), "num"), cell(fmt(c.retried), "num")], { channel: c.channel }]));
      for (const [id, answer] of [["merchants", merchants], ["countries", countries]]) {
        $(id + "-box").hidden = !answer;
        if (answer) fill(id, answer.rows.map(r => [[cell(r.key), cell(fmt(r.transactions), "num"), cell(fmt(r.alerts), "num")], { key: r.key }]));
      }
      $("figures").hidden = !(notifications || merchants || countries);
      $("figures").dataset.checked = "true";
    }

    showToken();
    refreshGenerator(); loadScenarios(); refreshDeadLetters(); refreshFigures();
    // The generator's in-memory status and the optional figures: slow refreshes, not the live feed.
    setInterval(refreshGenerator, 5000);
    setInterval(refreshDeadLetters, 10000);
    setInterval(refreshFigures, 15000);
    </script>
    </body>
    </html>
    """#
}
