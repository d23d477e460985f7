import type { RequestHandler, Router } from 'express';
import { methodNotAllowed } from '../../shared/error-handler.js';
import express from 'express';
import type { AdmissionQueue } from '../routing/admission.js';
import { CHARTS_JS } from './status-charts.js';
import type { StatusHistory } from './status-history.js';
import type { Registry } from '../workers/registry.js';
import { describeServer } from './server-view.js';

/**
 * A small live status page at `/`: plain HTML, a stylesheet and a script that polls
 * `/status.json` every second. Served from strings so that the compiled program needs no
 * asset folder; the page's Content-Security-Policy allows only its own script and style.
 */
const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>distcalc balancer</title>
<link rel="stylesheet" href="/status.css">
<script src="/status.js" defer></script>
</head>
<body>
<h1>distcalc balancer</h1>
<p id="summary">loading…</p>
<table>
<thead><tr><th>server</th><th>address</th><th>status</th><th>in flight</th><th>served</th><th>failures</th><th>recent latency</th><th>last error</th><th>last seen</th></tr></thead>
<tbody id="servers"></tbody>
</table>
<h2>Answers per second and latency, last 5 minutes</h2>
<p id="charted"></p>
<div id="charts"></div>
<h2>Timeline</h2>
<table>
<thead><tr><th>time</th><th>server</th><th>change</th><th>reason</th></tr></thead>
<tbody id="timeline"></tbody>
</table>
<h2>Jobs</h2>
<table>
<thead><tr><th>job</th><th>range</th><th>status</th><th>progress</th><th>result</th><th>servers</th><th>retries</th></tr></thead>
<tbody id="jobs"></tbody>
</table>
<p class="note">Updated every second from <a href="/status.json">/status.json</a>. Also: <a href="/servers">/servers</a>, <a href="/jobs">/jobs</a>, <a href="/metrics">/metrics</a>.</p>
</body>
</html>
`;

const CSS = `body{font-family:system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:4px 10px;text-align:left}
th{background:#f4f4f4}.active{color:#2a7d2a;font-weight:bold}.inactive{color:#c0392b;font-weight:bold}
.draining{color:#b7791f;font-weight:bold}.note{color:#666;font-size:90%}.stale{opacity:.5}
.done{color:#2a7d2a}.failed{color:#c0392b}.cancelled{color:#666}.running{color:#1f5fb7}
progress{width:12em}.chart{display:inline-block;margin:0 1.5em 1em 0}.chart h3{margin:.3em 0;font-size:100%}
`;

const JS = `'use strict';
function cell(text, cls) {
  const td = document.createElement('td');
  td.textContent = text;
  if (cls) td.className = cls;
  return td;
}
async function refresh() {
  try {
    const res = await fetch('/status.json', { cache: 'no-store' });
    const status = await res.json();
    document.getElementById('summary').textContent =
      status.active_servers + ' of ' + status.servers.length + ' servers active, ' +
      status.queue_depth + ' requests waiting, at ' + new Date(status.time).toLocaleTimeString();
    const rows = status.servers.map((s) => {
      const tr = document.createElement('tr');
      tr.dataset.server = s.name;
      tr.append(cell(s.name), cell(s.address), cell(s.status, s.status), cell(String(s.in_flight)),
        cell(String(s.served)), cell(String(s.failures)), cell(s.recent_latency_ms.toFixed(2) + ' ms'),
        cell(s.last_error || ''), cell(s.last_seen ? new Date(s.last_seen).toLocaleTimeString() : 'never'));
      return tr;
    });
    document.getElementById('servers').replaceChildren(...rows);
    drawCharts(status.history, status.servers.length);
    drawTimeline(status.timeline);
    const jobs = (await (await fetch('/jobs', { cache: 'no-store' })).json()).jobs;
    document.getElementById('jobs').replaceChildren(...jobs.slice(0, 10).map(jobRow));
    document.body.classList.remove('stale');
  } catch {
    document.body.classList.add('stale');
  }
}
function jobRow(job) {
  const tr = document.createElement('tr');
  tr.dataset.job = job.id;
  const bar = document.createElement('progress');
  bar.max = 1;
  bar.value = job.progress.fraction;
  const progress = cell((job.progress.fraction * 100).toFixed(1) + ' % (' + job.progress.tasks_done + ' of ~' + job.progress.tasks_total + ' tasks) ');
  progress.prepend(bar);
  const total = Object.values(job.servers).reduce((a, b) => a + b, 0) || 1;
  const shares = Object.entries(job.servers).map(([name, n]) => name + ' ' + Math.round((n / total) * 100) + ' %').join(', ');
  const result = job.result ? job.result.primes + ' primes, ' + job.result.twin_primes + ' twin pairs' : (job.error || '');
  tr.append(cell(job.id.slice(0, 8)), cell('[' + job.from + ', ' + job.to + ']'), cell(job.status, job.status), progress,
    cell(result), cell(shares), cell(String(job.retries)));
  return tr;
}
refresh();
setInterval(refresh, 1000);
${CHARTS_JS}`;

const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; frame-ancestors 'none'";

export function statusPage(registry: Registry, admission: AdmissionQueue, history: StatusHistory): Router {
  const router = express.Router();
  const get = (path: string, handler: RequestHandler) => router.route(path).get(handler).all(methodNotAllowed(['GET']));
  get('/', (_req, res) => {
    res.setHeader('Content-Security-Policy', PAGE_CSP);
    res.type('html').send(HTML);
  });
  get('/status.css', (_req, res) => {
    res.type('css').send(CSS);
  });
  get('/status.js', (_req, res) => {
    res.type('application/javascript').send(JS);
  });
  get('/status.json', (_req, res) => {
    const { interval_s, max_servers, servers: series, timeline } = history.view();
    res.json({
      time: new Date().toISOString(),
      active_servers: registry.countActive(),
      queue_depth: admission.depth,
      servers: registry.servers.map((s) => ({ ...describeServer(s), recent_latency_ms: Math.round(s.recentLatencyMs * 100) / 100 })),
      history: { interval_s, max_servers, servers: series },
      timeline,
    });
  });
  return router;
}
