import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { barChart } from './chart.js';
import { compareRounds, type Comparison, type MixedSummary } from './mixed.js';
import type { BenchOptions } from './options.js';
import type { PairedRatio } from './paired-ratio.js';
import type { WrkSummary } from './wrk-rounds.js';

/** The names the targets go by in the report. */
export const OURS = 'distcalc';
export const NGINX_RR = 'nginx round robin';
export const NGINX_LC = 'nginx least_conn';
const REFERENCES = [NGINX_RR, NGINX_LC] as const;

export interface Measurements {
  light: Record<string, WrkSummary>;
  /** With checkCpuMs and shareOfLimit: each run set against the machine's limit. */
  heavy: Record<string, WrkSummary>;
  mixed: Record<string, MixedSummary> | undefined;
}

const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;

/** The run as JSON: every target's figures and distcalc ÷ each nginx. */
export function buildReport(options: BenchOptions, m: Measurements, paths: { light: string; heavy: string }) {
  const against = <T>(f: (reference: string) => T) => Object.fromEntries(REFERENCES.map((r) => [r, f(r)])) as Record<(typeof REFERENCES)[number], T>;
  return {
    date: new Date().toISOString(),
    machine: `${availableParallelism()} cores (${cpus()[0]?.model.trim()}), shared by the load generator, the proxy and both workers`,
    settings: {
      seconds: options.seconds,
      rounds: options.rounds,
      mixedRounds: options.skipMixed ? 0 : options.mixedRounds,
      connections: options.connections,
      selection: options.selection,
      hedgeAfterMs: options.hedgeAfterMs === 'auto' ? 'auto' : Number(options.hedgeAfterMs ?? 0),
      capacity: options.capacity ?? 'one per core (the calculator threads)',
      light: paths.light,
      heavy: paths.heavy,
    },
    light: {
      targets: m.light,
      ratio: against((r) => ({ rps: ratio(m.light[OURS]!.rps, m.light[r]!.rps), cpu: ratio(m.light[OURS]!.cpuUsPerRequest, m.light[r]!.cpuUsPerRequest) })),
    },
    heavy: {
      targets: m.heavy,
      ratio: against((r) => ({ rps: ratio(m.heavy[OURS]!.rps, m.heavy[r]!.rps), cpu: ratio(m.heavy[OURS]!.cpuUsPerRequest, m.heavy[r]!.cpuUsPerRequest) })),
    },
    mixed: m.mixed && { targets: m.mixed, byRound: against((r) => compareRounds(m.mixed![OURS]!, m.mixed![r]!)) },
  };
}

export type Report = ReturnType<typeof buildReport>;

/** The summary lines after the rounds: what the table in BENCHMARKS.md is filled from. */
export function printSummary(report: Report): void {
  const x = (v: number) => `${v.toFixed(2)}×`;
  const lines: string[] = [];
  for (const ref of REFERENCES) {
    lines.push(`light, distcalc ÷ ${ref}: req/s ${x(report.light.ratio[ref].rps)}, CPU per request ${x(report.light.ratio[ref].cpu)}`);
  }
  const shares = Object.entries(report.heavy.targets).map(([name, s]) => `${name} ${Math.round((s.shareOfLimit ?? Number.NaN) * 100)} % (one check ${s.checkCpuMs} ms)`);
  lines.push(`heavy: share of the machine's limit, medians of the rounds: ${shares.join(', ')}`);
  for (const ref of REFERENCES) lines.push(`heavy, distcalc ÷ ${ref}: req/s ${x(report.heavy.ratio[ref].rps)}, CPU per request ${x(report.heavy.ratio[ref].cpu)}`);
  if (report.mixed) {
    for (const ref of REFERENCES) lines.push(`mixed, distcalc ÷ ${ref} round by round: ${showComparison(report.mixed.byRound[ref], report.settings.mixedRounds)}`);
    for (const [name, m] of Object.entries(report.mixed.targets)) {
      lines.push(
        `mixed, ${name}: light p50 / p99 pooled ${m.lightP50ms} / ${m.lightP99ms} ms, ${m.rps} req/s (median of rounds), failed ${m.failed}; ` +
          `µs per request: proxy ${m.proxyCpuUsPerRequest}, workers ${m.workersCpuUsPerRequest}, calculators ${m.calculatorsCpuUsPerRequest}, generator ${m.generatorCpuUsPerRequest}; idle ${m.machineIdlePercent} %`,
      );
    }
  }
  for (const line of lines) console.log(`  ${line}`);
}

function showRatio({ mean, low, high }: PairedRatio): string {
  return `${mean.toFixed(3)}× (${Number.isFinite(high) ? `95 % interval ${low.toFixed(3)}–${high.toFixed(3)}` : 'one round: no interval'})`;
}

function showComparison(c: Comparison, rounds: number): string {
  return `light p99 ${showRatio(c.lightP99)}, below in ${c.lightP99RoundsBelow} of ${rounds}; req/s ${showRatio(c.rps)}, above in ${c.rpsRoundsAbove}, below in ${c.rpsRoundsBelow}`;
}

/** Writes `<dir>/bench-<time>.json` and a bar chart of the ratios beside it; returns the path without extension. */
export function writeReport(dir: string, report: Report): string {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `bench-${report.date.replace(/[:.]/g, '-')}`);
  writeFileSync(`${base}.json`, JSON.stringify(report, null, 2));
  const bars: Array<[string, number]> = [];
  for (const [ref, short] of [[NGINX_RR, 'RR'], [NGINX_LC, 'least_conn']] as const) {
    bars.push([`light req/s ÷ ${short}`, report.light.ratio[ref].rps], [`light CPU/req ÷ ${short}`, report.light.ratio[ref].cpu], [`heavy req/s ÷ ${short}`, report.heavy.ratio[ref].rps]);
    if (report.mixed) bars.push([`mixed p99 ÷ ${short}`, report.mixed.byRound[ref].lightP99.mean], [`mixed req/s ÷ ${short}`, report.mixed.byRound[ref].rps.mean]);
  }
  writeFileSync(`${base}.svg`, barChart('distcalc ÷ nginx (same workers, same load, one run)', bars));
  return base;
}
