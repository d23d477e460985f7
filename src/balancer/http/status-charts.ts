/**
 * The status page's charts and timeline, as browser script (appended to status.js): for each
 * server, its answers per second and its p50 and p99 latency over the window `/status.json`
 * holds, drawn as SVG lines; and the latest state changes with their reasons. Plain DOM and
 * SVG: a charting library would be most of the page's weight for two kinds of line.
 */
export const CHARTS_JS = `
const SVG = 'http://www.w3.org/2000/svg';
function svg(tag, attrs) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}
function chart(title, lines, unit) {
  const W = 600, H = 90;
  const max = Math.max(1, ...lines.flatMap((l) => l.values.filter((v) => v !== null)));
  const box = svg('svg', { viewBox: '0 0 ' + W + ' ' + (H + 16), width: W, height: H + 16, role: 'img' });
  box.append(svg('rect', { x: 0, y: 0, width: W, height: H, fill: '#fafafa', stroke: '#ddd' }));
  for (const line of lines) {
    const n = line.values.length;
    const points = line.values
      .map((v, i) => (v === null ? null : ((i * W) / Math.max(1, n - 1)).toFixed(1) + ',' + (H - (v / max) * (H - 4)).toFixed(1)))
      .filter((p) => p !== null);
    if (points.length > 0) box.append(svg('polyline', { points: points.join(' '), fill: 'none', stroke: line.color, 'stroke-width': 1.5, 'data-line': line.name }));
  }
  const label = svg('text', { x: 0, y: H + 13, 'font-size': 11, fill: '#555' });
  label.textContent = title + ': ' + lines.map((l) => l.name + ' now ' + fmt(l.values.at(-1)) + unit).join(', ') + ' (top of the chart ' + fmt(max) + unit + ')';
  box.append(label);
  return box;
}
function fmt(v) {
  return v === null || v === undefined ? '–' : v >= 100 ? v.toFixed(0) : v.toFixed(2).replace(/\\.?0+$/, '');
}
function drawCharts(history, serverCount) {
  const charted = Object.keys(history.servers).length;
  document.getElementById('charted').textContent = serverCount > history.max_servers
    ? 'Charts for the first ' + charted + ' servers to answer (at most ' + history.max_servers + '); the table lists all ' + serverCount + '.'
    : '';
  const blocks = Object.entries(history.servers).map(([name, points]) => {
    const div = document.createElement('div');
    div.className = 'chart';
    div.dataset.chart = name;
    const h3 = document.createElement('h3');
    h3.textContent = name;
    div.append(h3,
      chart('answers per second', [{ name: 'req/s', color: '#1f5fb7', values: points.map((p) => p.rps) }], ''),
      chart('latency', [
        { name: 'p50', color: '#2a7d2a', values: points.map((p) => p.p50_ms) },
        { name: 'p99', color: '#c0392b', values: points.map((p) => p.p99_ms) },
      ], ' ms'));
    return div;
  });
  document.getElementById('charts').replaceChildren(...blocks);
}
function drawTimeline(events) {
  document.getElementById('timeline').replaceChildren(...events.slice(0, 30).map((e) => {
    const tr = document.createElement('tr');
    tr.dataset.event = e.server + ':' + e.to;
    tr.append(cell(new Date(e.time).toLocaleTimeString()), cell(e.server), cell((e.from || 'new') + ' → ' + e.to, e.to), cell(e.reason));
    return tr;
  }));
}
`;
