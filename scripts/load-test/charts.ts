import { maxOf } from './stats.js';
import type { PhaseEvent, RequestRecord } from './types.js';

/**
 * Small, dependency-free SVG charts: a chart is a few hundred elements, so writing the
 * markup beats pulling a plotting library (and a headless browser) into a load test.
 */
const WIDTH = 760;
const HEIGHT = 300;
const PAD = { left: 60, right: 20, top: 30, bottom: 40 };
const COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2'];
const MAX_POINTS = 3000;
const EVENT_COLOURS: Record<PhaseEvent['kind'], string> = {
  stop: '#d62728',
  removed: '#ff9896',
  start: '#2ca02c',
  restored: '#98df8a',
};

interface Axes {
  x: (v: number) => number;
  y: (v: number) => number;
  body: string[];
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceMax(value: number): number {
  if (value <= 0) return 1;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

function axes(title: string, xLabel: string, yLabel: string, xMax: number, yMax: number): Axes {
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (v: number) => PAD.left + (v / xMax) * plotW;
  const y = (v: number) => PAD.top + plotH - (v / yMax) * plotH;
  const body: string[] = [
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    `<text x="${WIDTH / 2}" y="18" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(title)}</text>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${x(xMax)}" y2="${y(0)}" stroke="#333"/>`,
    `<line x1="${PAD.left}" y1="${y(0)}" x2="${PAD.left}" y2="${y(yMax)}" stroke="#333"/>`,
    `<text x="${WIDTH / 2}" y="${HEIGHT - 6}" text-anchor="middle" font-size="12">${escapeXml(xLabel)}</text>`,
    `<text x="14" y="${HEIGHT / 2}" text-anchor="middle" font-size="12" transform="rotate(-90 14 ${HEIGHT / 2})">${escapeXml(yLabel)}</text>`,
  ];
  for (let i = 0; i <= 5; i++) {
    const xv = (xMax * i) / 5;
    const yv = (yMax * i) / 5;
    body.push(
      `<text x="${x(xv)}" y="${y(0) + 16}" text-anchor="middle" font-size="11">${format(xv)}</text>`,
      `<text x="${PAD.left - 6}" y="${y(yv) + 4}" text-anchor="end" font-size="11">${format(yv)}</text>`,
      `<line x1="${PAD.left}" y1="${y(yv)}" x2="${x(xMax)}" y2="${y(yv)}" stroke="#eee"/>`,
    );
  }
  return { x, y, body };
}

function format(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toFixed(v < 10 ? 2 : 1);
}

function eventMarkers(a: Axes, events: readonly PhaseEvent[], startedAt: number, yMax: number): string[] {
  return events.flatMap((e, i) => {
    const ex = a.x((e.at - startedAt) / 1000);
    const colour = EVENT_COLOURS[e.kind];
    return [
      `<line x1="${ex}" y1="${a.y(0)}" x2="${ex}" y2="${a.y(yMax)}" stroke="${colour}" stroke-width="2" stroke-dasharray="5 3"/>`,
      `<text x="${ex + 4}" y="${PAD.top + 12 + 13 * i}" font-size="11" fill="${colour}">${escapeXml(e.label)}</text>`,
    ];
  });
}

function legend(names: readonly string[]): string[] {
  return names.map(
    (name, i) =>
      `<rect x="${WIDTH - PAD.right - 110}" y="${PAD.top + 4 + i * 16}" width="10" height="10" fill="${colourFor(name, i)}"/>` +
      `<text x="${WIDTH - PAD.right - 95}" y="${PAD.top + 13 + i * 16}" font-size="11">${escapeXml(name)}</text>`,
  );
}

function colourFor(name: string, index: number): string {
  return name === 'failed' ? '#d62728' : COLOURS[index % COLOURS.length]!;
}

function svg(body: string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif">\n${body.join('\n')}\n</svg>\n`;
}

/** Latency of every request against the time it was sent, coloured by server; failures in red. */
export function latencyChart(
  title: string,
  records: readonly RequestRecord[],
  startedAt: number,
  endedAt: number,
  events: readonly PhaseEvent[],
): string {
  const xMax = niceMax(Math.max(0.001, (endedAt - startedAt) / 1000));
  const yMax = niceMax(maxOf(records.map((r) => r.latencyMs), 1));
  const sampled = records.length > MAX_POINTS ? ` (a sample of ${MAX_POINTS} of ${records.length})` : '';
  const a = axes(`${title}${sampled}`, 'seconds since the phase started', 'latency (ms)', xMax, yMax);
  const names = [...new Set(records.map((r) => (r.error === null ? (r.server ?? 'unknown') : 'failed')))].sort();
  // Beyond a few thousand dots a scatter shows nothing more, only weighs more: keep an even
  // sample of the successes, and every failure.
  const step = Math.max(1, Math.ceil(records.length / MAX_POINTS));
  const shown = step === 1 ? records : records.filter((r, i) => r.error !== null || i % step === 0);
  const points = shown.map((r) => {
    const name = r.error === null ? (r.server ?? 'unknown') : 'failed';
    const cx = a.x((r.start - startedAt) / 1000).toFixed(1);
    const cy = a.y(r.latencyMs).toFixed(1);
    return `<circle cx="${cx}" cy="${cy}" r="2" fill="${colourFor(name, names.indexOf(name))}" fill-opacity="0.6"/>`;
  });
  return svg([...a.body, ...points, ...eventMarkers(a, events, startedAt, yMax), ...legend(names)]);
}

/** Requests started per server in each time bucket, one line per server. */
export function serversChart(
  title: string,
  perServer: { bucketMs: number; series: Record<string, number[]> },
  startedAt: number,
  endedAt: number,
  events: readonly PhaseEvent[],
): string {
  const xMax = niceMax(Math.max(0.001, (endedAt - startedAt) / 1000));
  const names = Object.keys(perServer.series).sort();
  const yMax = niceMax(maxOf(names.flatMap((n) => perServer.series[n]!), 1));
  const a = axes(title, 'seconds since the phase started', `requests per ${perServer.bucketMs} ms`, xMax, yMax);
  const lines = names.map((name, i) => {
    const points = perServer.series[name]!.map(
      (count, b) => `${a.x(((b + 0.5) * perServer.bucketMs) / 1000).toFixed(1)},${a.y(count).toFixed(1)}`,
    );
    // Earlier series are drawn wider, so that lines that coincide (round robin) both show.
    const width = 2 + (names.length - 1 - i) * 2.5;
    return `<polyline fill="none" stroke="${colourFor(name, i)}" stroke-width="${width}" stroke-linejoin="round" points="${points.join(' ')}"/>`;
  });
  return svg([...a.body, ...lines, ...eventMarkers(a, events, startedAt, yMax), ...legend(names)]);
}
