/** A horizontal bar chart of ratios with a line at 1 (parity with the reference). */
export function barChart(title: string, bars: ReadonlyArray<[string, number]>): string {
  const width = 640;
  const rowH = 28;
  const left = 200;
  const height = 50 + bars.length * rowH + 20;
  const max = Math.max(2, ...bars.map(([, v]) => v));
  const x = (v: number) => left + (v / max) * (width - left - 60);
  const rows = bars.map(([label, value], i) => {
    const y = 40 + i * rowH;
    return `<text x="${left - 8}" y="${y + 17}" text-anchor="end" font-size="12">${label}</text>
<rect x="${left}" y="${y + 4}" width="${Math.max(1, x(value) - left)}" height="${rowH - 10}" fill="#1f77b4"/>
<text x="${x(value) + 6}" y="${y + 17}" font-size="12">${value.toFixed(2)}×</text>`;
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif">
<rect width="${width}" height="${height}" fill="white"/>
<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${title}</text>
${rows.join('\n')}
<line x1="${x(1)}" y1="34" x2="${x(1)}" y2="${height - 14}" stroke="#d62728" stroke-dasharray="4 3"/>
<text x="${x(1)}" y="${height - 2}" text-anchor="middle" font-size="11" fill="#d62728">nginx = 1</text>
</svg>
`;
}
