import { describe, expect, it } from 'vitest';
import { latencyChart, serversChart } from '../../../scripts/load-test/charts.js';
import { HELP, UsageError, parseOptions } from '../../../scripts/load-test/options.js';
import { htmlReport } from '../../../scripts/load-test/report.js';
import { textTable, type PhaseReport } from '../../../scripts/load-test/report.js';
import { percentile, perServerOverTime, summarize } from '../../../scripts/load-test/stats.js';
import type { RequestRecord } from '../../../scripts/load-test/types.js';

const record = (start: number, latencyMs: number, server: string | null, error: string | null = null): RequestRecord => ({
  phase: 1,
  user: 0,
  path: '/is_prime/7',
  start,
  latencyMs,
  status: error ? 503 : 200,
  server,
  error,
});

describe('load-test statistics', () => {
  it('when computing percentiles, then the nearest rank is used', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(sorted, 50), percentile(sorted, 95), percentile(sorted, 99), percentile(sorted, 100)]).toEqual([50, 95, 99, 100]);
    expect(percentile([], 50)).toBe(0);
    expect(percentile([7], 99)).toBe(7);
  });

  it('when summarising a phase, then counts, failures by reason, latency, rate and shares are right', () => {
    const records = [
      record(0, 10, 'server1'),
      record(10, 20, 'server2'),
      record(20, 30, 'server1'),
      record(30, 40, 'server1'),
      record(40, 5, null, '503 no_active_servers'),
    ];
    const summary = summarize(records, 0, 1000);
    expect(summary).toMatchObject({
      sent: 5,
      succeeded: 4,
      failed: 1,
      failuresByReason: { '503 no_active_servers': 1 },
      latencyMs: { avg: 25, p50: 20, p95: 40, p99: 40, max: 40 },
      durationMs: 1000,
      requestsPerSecond: 5,
      servedBy: { server1: { count: 3, share: 0.75 }, server2: { count: 1, share: 0.25 } },
    });
  });

  it('when bucketing requests over time, then each server has a count per bucket and failures their own line', () => {
    const records = [record(0, 1, 'a'), record(50, 1, 'b'), record(120, 1, 'a'), record(130, 1, null, 'timeout')];
    expect(perServerOverTime(records, 0, 100).series).toEqual({ a: [1, 1], b: [1, 0], failed: [0, 1] });
  });

  it('when drawing charts, then they are SVG with a point per request and a marker per event', () => {
    const records = [record(0, 10, 'server1'), record(100, 20, 'server2')];
    const events = [{ at: 50, kind: 'stop' as const, label: 'server2 stop <graceful>' }];
    const latency = latencyChart('Phase 2', records, 0, 200, events);
    expect(latency).toMatch(/^<svg[^>]+xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(latency.match(/<circle /g)).toHaveLength(2);
    expect(latency).toContain('server2 stop &#60;graceful&#62;');
    const servers = serversChart('Phase 2', perServerOverTime(records, 0, 50), 0, 200, events);
    expect(servers.match(/<polyline /g)).toHaveLength(2);
  });

  it('when printing the table, then there is a row per phase and a column per server', () => {
    const summary = summarize([record(0, 10, 'server1'), record(1, 10, 'server2')], 0, 100);
    const phase = { phase: 1, title: 't', startedAt: 0, endedAt: 100, summary, events: [], charts: { latency: '', servers: '' } } satisfies PhaseReport;
    const table = textTable([phase]).split('\n');
    expect(table).toHaveLength(3);
    expect(table[0]).toMatch(/\| phase \|.*\| server1 \| server2 \|$/);
    expect(table[2]).toContain('1 (50%)');
  });
});

describe('load-test options', () => {
  it('when no flags are given, then 50 users send 10 requests each for 524287, with a 60 s timeout, to the local stack', () => {
    expect(parseOptions([], {})).toMatchObject({
      target: 'local',
      users: 50,
      requests: 10,
      numbers: ['524287'],
      timeoutMs: 60_000,
      stopMode: 'graceful',
      copyLogs: false,
      balancerUrl: 'http://127.0.0.1:9000',
    });
  });

  it('when no flags are given, then each phase lasts at least 10 s, long enough to see server2 leave and come back', () => {
    expect(parseOptions([], {}).minPhaseSeconds).toBe(10);
    expect(parseOptions(['--min-phase-seconds', '0'], {}).minPhaseSeconds).toBe(0);
  });

  it('when no flags are given, then users warm the stack up for 2 s before phase 1; a negative warm-up is refused', () => {
    expect(parseOptions([], {}).warmUpSeconds).toBe(2);
    expect(parseOptions(['--warm-up-seconds', '0'], {}).warmUpSeconds).toBe(0);
    expect(() => parseOptions(['--warm-up-seconds=-1'], {})).toThrow(/--warm-up-seconds must be 0 or more/);
  });

  it('when the HTML report is written, then its settings are a table of names and values, not a line of JSON', () => {
    const html = htmlReport({
      startedAt: '2026-12-02T12:00:00Z',
      target: 'local processes',
      machine: '2 cores',
      settings: { users: 50, numbers: ['524287', '7'], outDir: undefined },
      phases: [],
      totalFailed: 0,
      logs: [],
    });
    expect(html).toContain('<tr><th>users</th><td>50</td></tr>');
    expect(html).toContain('<tr><th>numbers</th><td>524287, 7</td></tr>');
    expect(html).not.toContain('outDir');
    expect(html).not.toContain('{&#34;');
  });

  it('when flags and COPY_LOGS are given, then they are read', () => {
    const options = parseOptions(
      ['--target', 'docker', '--users', '10', '--requests', '5', '--number', '7', '--number', '524287', '--stop', 'kill'],
      { COPY_LOGS: 'true' },
    );
    expect(options).toMatchObject({ target: 'docker', users: 10, requests: 5, numbers: ['7', '524287'], stopMode: 'kill', copyLogs: true });
  });

  it.each([
    [['--users', '0']],
    [['--users', 'many']],
    [['--target', 'cloud']],
    [['--stop', 'gently']],
    [['--stop-at', '1.5']],
    [['--number', '12abc']],
    [['--worker-ports', '5001']],
  ])('when the flags are %j, then it is a usage error', (argv) => {
    expect(() => parseOptions(argv, {})).toThrow(UsageError);
  });

  it('when asked for help, then every flag is explained', () => {
    for (const flag of ['--target', '--users', '--requests', '--number', '--timeout-ms', '--stop', '--copy-logs', '--min-phase-seconds']) {
      expect(HELP).toContain(flag);
    }
  });
});
