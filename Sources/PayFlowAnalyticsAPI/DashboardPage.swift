/// The live dashboard served at `GET /dashboard`: one HTML page with its CSS
/// and JavaScript inline, polling the `/v1/stats` endpoints every two seconds
/// and drawing its charts on canvases.
///
/// Why inline and dependency-free: the page must work wherever the binary
/// runs, with no build step and no npm (the registry is not reachable here),
/// and it cannot drift from the binary that serves it. Every figure the page
/// shows carries an `id` (or `data-*` attributes), which is how the headless
/// browser test compares it with the API.
enum DashboardPage {
    static let html = #"""
    <!doctype html>
    <html lang="en">
    <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>PayFlow dashboard</title>
    <style>
      :root { --bg: #0f1720; --panel: #17212b; --text: #e6edf3; --muted: #8b98a5; --accent: #4fb3ff; --bad: #ff6b6b; --good: #3ecf8e; }
      * { box-sizing: border-box; }
      body { margin: 0; font: 14px/1.4 system-ui, sans-serif; background: var(--bg); color: var(--text); }
      header { display: flex; justify-content: space-between; align-items: baseline; padding: 12px 20px; border-bottom: 1px solid #243140; }
      header h1 { font-size: 18px; margin: 0; }
      #status { color: var(--muted); }
      #status.error { color: var(--bad); }
      main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 16px; padding: 16px 20px; }
      section { background: var(--panel); border-radius: 8px; padding: 12px 16px; }
      h2 { font-size: 13px; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); margin: 0 0 8px; }
      .tiles { display: grid; grid-template-columns: repeat(4, 1fr); gap: 8px; }
      .tile { background: #1e2a36; border-radius: 6px; padding: 8px; }
      .tile .value { font-size: 22px; font-variant-numeric: tabular-nums; }
      .tile .label { color: var(--muted); font-size: 12px; }
      table { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
      th, td { text-align: left; padding: 3px 6px; border-bottom: 1px solid #243140; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 260px; }
      th { color: var(--muted); font-weight: normal; }
      td.num, th.num { text-align: right; }
      canvas { width: 100%; height: 180px; display: block; }
      .legend span { margin-right: 12px; font-size: 12px; }
      .legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
    </style>
    </head>
    <body>
    <header><h1>PayFlow</h1><span id="status">loading…</span></header>
    <main>
      <section>
        <h2>Totals</h2>
        <div class="tiles">
          <div class="tile"><div class="value" id="events-total">–</div><div class="label">events</div></div>
          <div class="tile"><div class="value" id="alerts-total">–</div><div class="label">alerts</div></div>
          <div class="tile"><div class="value" id="mismatches-total">–</div><div class="label">mismatches</div></div>
          <div class="tile"><div class="value" id="blocked-accounts">–</div><div class="label">blocked accounts</div></div>
        </div>
        <table id="types"><thead><tr><th>type</th><th class="num">events</th><th class="num">events/s</th></tr></thead><tbody></tbody></table>
      </section>
      <section>
        <h2>Throughput per type (events/s)</h2>
        <canvas id="throughput-chart" width="800" height="360"></canvas>
        <div class="legend" id="throughput-legend"></div>
      </section>
      <section>
        <h2>Lag per consumer group</h2>
        <canvas id="lag-chart" width="800" height="360"></canvas>
        <table id="groups"><thead><tr><th>group</th><th>stream</th><th class="num">consumers</th><th class="num">pending</th><th class="num">lag</th></tr></thead><tbody></tbody></table>
      </section>
      <section>
        <h2>Alerts per rule</h2>
        <canvas id="rules-chart" width="800" height="360"></canvas>
        <table id="rules"><thead><tr><th>rule</th><th class="num">alerts</th></tr></thead><tbody></tbody></table>
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
        <table id="recent-alerts"><thead><tr><th>detected</th><th>rule</th><th>account</th><th>reason</th></tr></thead><tbody></tbody></table>
      </section>
      <section>
        <h2>Recent mismatches</h2>
        <table id="recent-mismatches"><thead><tr><th>detected</th><th>kind</th><th>transaction</th><th>expected → actual</th></tr></thead><tbody></tbody></table>
      </section>
    </main>
    <script>
    "use strict";
    const COLORS = ["#4fb3ff", "#3ecf8e", "#ffb86b", "#ff6b6b", "#c792ea", "#f7d154", "#7fdbca"];
    const HISTORY = 90;
    const history = [];   // [{t, counts: {type: n}}]
    let previous = null;  // the last summary's counts, for rates

    async function json(path) {
      const response = await fetch(path, { cache: "no-store" });
      if (!response.ok) throw new Error(path + ": HTTP " + response.status);
      return response.json();
    }
    const fmt = (n) => n == null ? "–" : Number(n).toLocaleString("en-US");
    const pct = (x) => x == null ? "–" : x.toFixed(3);
    function cell(text, cls) { const td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; return td; }
    function fill(tableId, rows) {
      const body = document.querySelector("#" + tableId + " tbody");
      body.replaceChildren(...rows.map(([cells, data]) => {
        const tr = document.createElement("tr");
        for (const [key, value] of Object.entries(data || {})) tr.dataset[key] = value;
        tr.append(...cells);
        return tr;
      }));
    }

    function drawLines(canvas, series, legendId) {
      const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height, pad = 30;
      ctx.clearRect(0, 0, w, h);
      const max = Math.max(1, ...series.flatMap(s => s.values));
      ctx.strokeStyle = "#243140"; ctx.fillStyle = "#8b98a5"; ctx.font = "20px system-ui";
      for (let i = 0; i <= 4; i++) {
        const y = pad + (h - 2 * pad) * i / 4;
        ctx.beginPath(); ctx.moveTo(pad, y); ctx.lineTo(w, y); ctx.stroke();
        ctx.fillText((max * (4 - i) / 4).toFixed(max >= 40 ? 0 : 1), 0, y - 2);
      }
      series.forEach((s, index) => {
        ctx.strokeStyle = COLORS[index % COLORS.length]; ctx.lineWidth = 3; ctx.beginPath();
        s.values.forEach((v, i) => {
          const x = pad + (w - pad) * i / Math.max(1, HISTORY - 1), y = h - pad - (h - 2 * pad) * v / max;
          i === 0 ? ctx.moveTo(x, y) : ctx.lineTo(x, y);
        });
        ctx.stroke();
      });
      document.getElementById(legendId).innerHTML = series.map((s, i) =>
        `<span><i style="background:${COLORS[i % COLORS.length]}"></i>${s.name}</span>`).join("");
    }

    function drawBars(canvas, bars) {
      const ctx = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
      ctx.clearRect(0, 0, w, h);
      const max = Math.max(1, ...bars.map(b => b.value)), rowH = Math.min(40, h / Math.max(1, bars.length));
      ctx.font = "20px system-ui";
      bars.forEach((b, i) => {
        const y = i * rowH, barW = (w - 260) * b.value / max;
        ctx.fillStyle = "#8b98a5"; ctx.fillText(b.name, 0, y + rowH * 0.7);
        ctx.fillStyle = COLORS[i % COLORS.length]; ctx.fillRect(180, y + 4, barW, rowH - 8);
        ctx.fillStyle = "#e6edf3"; ctx.fillText(fmt(b.value), 186 + barW, y + rowH * 0.7);
      });
    }

    async function refresh() {
      const [summary, alerts, mismatches, groups, detection] = await Promise.all([
        json("/v1/stats/summary"), json("/v1/stats/alerts?limit=10"), json("/v1/stats/mismatches?limit=10"),
        json("/v1/stats/groups"), json("/v1/stats/detection"),
      ]);
      const now = Date.now(), counts = {};
      for (const t of summary.totals) counts[t.type] = (counts[t.type] || 0) + t.count;
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      document.getElementById("events-total").textContent = fmt(total);
      document.getElementById("alerts-total").textContent = fmt(summary.alerts_total);
      document.getElementById("mismatches-total").textContent = fmt(summary.mismatches_total);
      document.getElementById("blocked-accounts").textContent = fmt(summary.blocked_accounts);

      const rates = {};
      for (const type of Object.keys(counts)) {
        rates[type] = previous ? Math.max(0, (counts[type] - (previous.counts[type] || 0)) / ((now - previous.t) / 1000)) : 0;
      }
      previous = { t: now, counts };
      history.push(rates); if (history.length > HISTORY) history.shift();
      const types = Object.keys(counts).sort();
      fill("types", types.map(type => [[cell(type), cell(fmt(counts[type]), "num"), cell(rates[type].toFixed(1), "num")], { type, count: counts[type] }]));
      drawLines(document.getElementById("throughput-chart"),
        types.map(type => ({ name: type, values: history.map(h => h[type] || 0) })), "throughput-legend");

      fill("groups", groups.groups.map(g => [[cell(g.group), cell(g.stream), cell(fmt(g.consumers), "num"), cell(fmt(g.pending), "num"), cell(g.lag == null ? "?" : fmt(g.lag), "num")],
        { group: g.group, stream: g.stream, lag: g.lag == null ? "" : g.lag, pending: g.pending }]));
      const lagByGroup = {};
      for (const g of groups.groups) lagByGroup[g.group] = (lagByGroup[g.group] || 0) + (g.lag || 0);
      drawBars(document.getElementById("lag-chart"), Object.entries(lagByGroup).map(([name, value]) => ({ name, value })));

      fill("rules", alerts.per_rule.map(r => [[cell(r.rule), cell(fmt(r.count), "num")], { rule: r.rule, count: r.count }]));
      drawBars(document.getElementById("rules-chart"), alerts.per_rule.map(r => ({ name: r.rule, value: r.count })));
      fill("recent-alerts", alerts.recent.map(a => [[cell(a.detected_at), cell(a.rule), cell(a.account), cell(a.reason)], { alertId: a.alert_id }]));
      fill("recent-mismatches", mismatches.recent.map(m => [[cell(m.detected_at), cell(m.kind), cell(m.transaction_id), cell(m.expected + " → " + m.actual)], { mismatchId: m.mismatch_id }]));

      document.getElementById("precision").textContent = pct(detection.fraud.precision);
      document.getElementById("incident-recall").textContent = pct(detection.fraud.incident_recall);
      document.getElementById("event-recall").textContent = pct(detection.fraud.event_recall);
      // Per run as well as overall: a bad run cannot hide in the total, nor the total in a run.
      const run = detection.fraud_current_run;
      document.getElementById("run-precision").textContent = run ? pct(run.precision) : "–";
      document.getElementById("run-incident-recall").textContent = run ? pct(run.incident_recall) : "–";
      const runName = detection.current_run == null ? "current run" : "run " + detection.current_run;
      document.getElementById("run-precision-label").textContent = "fraud precision, " + runName;
      document.getElementById("run-incident-recall-label").textContent = "incident recall, " + runName;
      document.getElementById("reconciliation-found").textContent =
        fmt(detection.reconciliation.found) + " / " + fmt(detection.reconciliation.injected);
    }

    async function loop() {
      const status = document.getElementById("status");
      try {
        await refresh();
        status.className = ""; status.textContent = "updated " + new Date().toLocaleTimeString();
        document.body.dataset.loaded = "true";
      } catch (error) {
        status.className = "error"; status.textContent = "error: " + error.message;
      }
      setTimeout(loop, 2000);
    }
    loop();
    </script>
    </body>
    </html>
    """#
}
