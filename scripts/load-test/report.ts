import type { PhaseSummary } from './stats.js';
import type { PhaseEvent } from './types.js';

export interface PhaseReport {
  phase: number;
  title: string;
  startedAt: number;
  endedAt: number;
  summary: PhaseSummary;
  events: PhaseEvent[];
  /** Requests server2 served that were sent after it had stopped (must be 0). */
  servedByServer2WhileStopped?: number;
  charts: { latency: string; servers: string };
}

export interface RunReport {
  startedAt: string;
  target: string;
  machine: string;
  settings: Record<string, unknown>;
  phases: PhaseReport[];
  totalFailed: number;
  logs: string[];
}

const COLUMNS = ['phase', 'sent', 'ok', 'failed', 'avg ms', 'p50 ms', 'p95 ms', 'p99 ms', 'max ms', 'seconds', 'req/s'];

function servers(phases: readonly PhaseReport[]): string[] {
  return [...new Set(phases.flatMap((p) => Object.keys(p.summary.servedBy)))].sort();
}

function rows(phases: readonly PhaseReport[]): string[][] {
  const names = servers(phases);
  return phases.map((p) => {
    const s = p.summary;
    return [
      String(p.phase),
      String(s.sent),
      String(s.succeeded),
      String(s.failed),
      s.latencyMs.avg.toFixed(1),
      s.latencyMs.p50.toFixed(1),
      s.latencyMs.p95.toFixed(1),
      s.latencyMs.p99.toFixed(1),
      s.latencyMs.max.toFixed(1),
      (s.durationMs / 1000).toFixed(2),
      s.requestsPerSecond.toFixed(1),
      ...names.map((n) => {
        const served = s.servedBy[n];
        return served ? `${served.count} (${Math.round(served.share * 100)}%)` : '0';
      }),
    ];
  });
}

/** A plain-text table, aligned, for the terminal and for pasting into Markdown. */
export function textTable(phases: readonly PhaseReport[]): string {
  const header = [...COLUMNS, ...servers(phases)];
  const body = rows(phases);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padStart(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...body.map(line)].join('\n');
}

export function phaseNotes(phase: PhaseReport): string[] {
  const notes: string[] = [];
  for (const [reason, count] of Object.entries(phase.summary.failuresByReason)) notes.push(`failed: ${count} × ${reason}`);
  for (const e of phase.events) notes.push(`${e.label} at +${((e.at - phase.startedAt) / 1000).toFixed(2)} s`);
  if (phase.servedByServer2WhileStopped !== undefined) {
    notes.push(`requests served by server2 while it was stopped: ${phase.servedByServer2WhileStopped}`);
  }
  return notes;
}

const escapeHtml = (text: string) => text.replace(/[<>&"]/g, (c) => `&#${c.charCodeAt(0)};`);

/** One self-contained HTML page: settings, the table, notes and every chart inline. */
export function htmlReport(run: RunReport): string {
  const header = [...COLUMNS, ...servers(run.phases)];
  const table = `<table><thead><tr>${header.map((h) => `<th>${escapeHtml(h)}</th>`).join('')}</tr></thead><tbody>${rows(run.phases)
    .map((r) => `<tr>${r.map((c) => `<td>${escapeHtml(c)}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
  const phases = run.phases
    .map(
      (p) => `<section><h2>Phase ${p.phase}: ${escapeHtml(p.title)}</h2>
<ul>${phaseNotes(p)
        .map((n) => `<li>${escapeHtml(n)}</li>`)
        .join('')}</ul>
${p.charts.latency}
${p.charts.servers}</section>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>distcalc load test ${escapeHtml(run.startedAt)}</title>
<style>body{font-family:sans-serif;max-width:820px;margin:2em auto;color:#222}table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}.settings th,.settings td{text-align:left}svg{display:block;margin:1em 0}</style></head>
<body><h1>distcalc phase load test</h1>
<p>${escapeHtml(run.startedAt)}: ${escapeHtml(run.target)}. ${escapeHtml(run.machine)}.</p>
<h2>Settings</h2>
<table class="settings">${Object.entries(run.settings)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `<tr><th>${escapeHtml(key)}</th><td>${escapeHtml(Array.isArray(value) ? value.join(', ') : String(value))}</td></tr>`)
    .join('')}</table>
<p>Failed requests in all phases: <strong>${run.totalFailed}</strong></p>
${table}
${phases}
</body></html>
`;
}
