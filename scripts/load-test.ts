/**
 * The phase load test (`npm run load-test`, `make test`): see --help, or docs/operations.md.
 * Three phases against a balancer and two workers, stopping and starting server2 in between,
 * with per-phase tables and an HTML report.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, cpus } from 'node:os';
import { join, resolve } from 'node:path';
import { projectRoot } from './lib/managed-process.js';
import { latencyChart, serversChart } from './load-test/charts.js';
import { HELP, UsageError, parseOptions, type LoadTestOptions } from './load-test/options.js';
import { RegistryWatch, waitForActive } from './load-test/registry-watch.js';
import { htmlReport, phaseNotes, textTable, type PhaseReport, type RunReport } from './load-test/report.js';
import { runPhase, terminalProgress } from './load-test/run-phase.js';
import { perServerOverTime, summarize } from './load-test/stats.js';
import { dockerTarget, localTarget, urlTarget, type Target } from './load-test/targets.js';
import type { PhaseEvent } from './load-test/types.js';

const SERVER2 = 'server2';

function makeTarget(options: LoadTestOptions, outDir: string): Target {
  switch (options.target) {
    case 'docker':
      return dockerTarget(options.balancerUrl);
    case 'url':
      return urlTarget(options.balancerUrl);
    case 'local':
      return localTarget({
        balancerPort: options.balancerPort,
        workerPorts: options.workerPorts,
        logDir: options.copyLogs ? outDir : join(projectRoot, 'logs'),
      });
  }
}

interface PhasePlan {
  phase: number;
  title: string;
  /** Fraction of the phase's requests after which the action runs, and the action. */
  action?: { at: number; run: (events: PhaseEvent[]) => Promise<void> };
}

async function main(): Promise<number> {
  let options: LoadTestOptions;
  try {
    options = parseOptions(process.argv.slice(2), process.env);
  } catch (err) {
    if (err instanceof UsageError || (err instanceof Error && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      console.error(`load-test: ${err.message}\n\n${HELP}`);
      return 2;
    }
    throw err;
  }
  if (options.help) {
    console.log(HELP);
    return 0;
  }

  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const outDir = resolve(options.outDir ?? join(projectRoot, 'logs', `load-test-${stamp}`));
  await mkdir(outDir, { recursive: true });
  const target = makeTarget(options, outDir);
  const paths = options.numbers.map((n) => `/is_prime/${n}`);
  const perPhase = options.users * options.requests;

  console.log('=================Starting the tests===============');
  console.log(`Target: ${target.description}`);
  console.log(
    `${options.users} users × ${options.requests} requests per phase` +
      `${options.minPhaseSeconds > 0 ? ` (each phase at least ${options.minPhaseSeconds} s)` : ''}` +
      `, numbers: ${options.numbers.map((n) => (n.length > 20 ? `${n.slice(0, 8)}…(${n.length} digits)` : n)).join(', ')}`,
  );

  const phaseSpec = {
    baseUrl: target.balancerUrl,
    paths,
    users: options.users,
    requestsPerUser: options.requests,
    minDurationMs: options.minPhaseSeconds * 1000,
    timeoutMs: options.timeoutMs,
    threads: options.threads,
  };
  // A failure before the phases is a failure of the run too: it is not hidden by the warm-up.
  let warmUpFailed = 0;

  await target.setUp();
  const watch = new RegistryWatch(target.balancerUrl);
  try {
    const wanted = target.canStopServer2 ? 2 : 1;
    const active = await waitForActive(target.balancerUrl, wanted, 30_000);
    if (active < wanted) throw new Error(`the balancer at ${target.balancerUrl} has ${active} active servers; ${wanted} needed`);
    watch.start();

    if (options.warmUpSeconds > 0) {
      console.log(`\nWarming up for ${options.warmUpSeconds} s (not counted)`);
      const warm = await runPhase({ ...phaseSpec, phase: 0, requestsPerUser: 1, minDurationMs: options.warmUpSeconds * 1000 });
      warmUpFailed = warm.records.filter((r) => r.error !== null).length;
      console.log(`Warm-up: ${warm.records.length - warmUpFailed} of ${warm.records.length} answered`);
    }

    let stoppedAt: number | undefined;
    const plans: PhasePlan[] = [
      { phase: 1, title: 'all servers' },
      {
        phase: 2,
        title: target.canStopServer2 ? `server2 stopped mid-phase (${options.stopMode})` : 'repeat (nothing stopped)',
        action: target.canStopServer2
          ? {
              at: options.stopAt,
              run: async (events) => {
                events.push({ at: Date.now(), kind: 'stop', label: `server2 stop (${options.stopMode})` });
                await target.stopServer2(options.stopMode);
                stoppedAt = Date.now();
                events.push({ at: stoppedAt, kind: 'stop', label: 'server2 down' });
              },
            }
          : undefined,
      },
      {
        phase: 3,
        title: target.canStopServer2 ? 'server2 started again mid-phase' : 'repeat (nothing started)',
        action: target.canStopServer2
          ? {
              at: options.startAt,
              run: async (events) => {
                events.push({ at: Date.now(), kind: 'start', label: 'server2 start' });
                await target.startServer2();
              },
            }
          : undefined,
      },
    ];

    const reports: PhaseReport[] = [];
    for (const plan of plans) {
      console.log(`\nPhase ${plan.phase} - ${plan.title}`);
      const lasting = options.minPhaseSeconds > 0 ? `, and more until the phase has lasted ${options.minPhaseSeconds} s` : '';
      console.log(`Creating ${options.users} users. Each will do ${options.requests} requests${lasting}`);
      const events: PhaseEvent[] = [];
      let action: Promise<void> | undefined;
      const show = terminalProgress(plan.phase, perPhase);
      const run = await runPhase({
        ...phaseSpec,
        phase: plan.phase,
        onProgress: (done, records, elapsedMs) => {
          show(done, records);
          if (!plan.action || action) return;
          // "At F of the phase": of its requests, or of its time when phases have a minimum length.
          const { at } = plan.action;
          const reached = options.minPhaseSeconds > 0 ? elapsedMs >= at * options.minPhaseSeconds * 1000 : done >= at * perPhase;
          if (reached) action = plan.action.run(events);
        },
      });
      if (process.stdout.isTTY) process.stdout.write('\n');
      if (plan.action) await (action ?? plan.action.run(events));

      const since = events[0]?.at ?? run.startedAt;
      if (plan.phase === 3 && target.canStopServer2) await waitForActive(target.balancerUrl, 2, 15_000);
      // Exact times from the balancer's own log lines where we can read them, else the poll.
      const changes = (await target.statusChanges(SERVER2)) ?? watch.changes.filter((c) => c.server === SERVER2);
      if (plan.phase === 2 && target.canStopServer2) {
        // The balancer takes server2 out when it deregisters (draining) or fails (inactive).
        const removed = changes.find((c) => c.to !== 'active' && c.at >= since);
        if (removed) events.push({ at: removed.at, kind: 'removed', label: `balancer: server2 ${removed.to}` });
      }
      if (plan.phase === 3 && target.canStopServer2) {
        const restored = changes.find((c) => c.to === 'active' && c.at >= since);
        if (restored) events.push({ at: restored.at, kind: 'restored', label: 'balancer: server2 active' });
      }
      events.sort((a, b) => a.at - b.at);

      const summary = summarize(run.records, run.startedAt, run.endedAt);
      const title = `Phase ${plan.phase}: ${plan.title}`;
      const report: PhaseReport = {
        phase: plan.phase,
        title: plan.title,
        startedAt: run.startedAt,
        endedAt: run.endedAt,
        summary,
        events,
        charts: {
          latency: latencyChart(`${title}: latency`, run.records, run.startedAt, run.endedAt, events),
          servers: serversChart(
            `${title}: requests per server`,
            perServerOverTime(run.records, run.startedAt, Math.max(50, Math.round((run.endedAt - run.startedAt) / 40))),
            run.startedAt,
            run.endedAt,
            events,
          ),
        },
      };
      if (plan.phase === 2 && stoppedAt !== undefined) {
        const down = stoppedAt;
        report.servedByServer2WhileStopped = run.records.filter((r) => r.server === SERVER2 && r.start >= down).length;
      }
      reports.push(report);
      console.log(`Avg time per request: ${summary.latencyMs.avg.toFixed(2)} ms`);
      console.log(`Successful requests : ${summary.succeeded} of ${summary.sent}`);
      console.log(`Test took ${(summary.durationMs / 1000).toFixed(2)} seconds.`);
      console.log(`Requests per second: ${summary.requestsPerSecond.toFixed(1)}`);
      for (const note of phaseNotes(report)) console.log(`  ${note}`);
    }

    const logs = options.copyLogs ? await target.copyLogs(outDir) : [];
    const totalFailed = warmUpFailed + reports.reduce((n, p) => n + p.summary.failed, 0);
    const cpu = cpus()[0]?.model.trim() ?? 'unknown CPU';
    const run: RunReport = {
      startedAt: new Date(reports[0]?.startedAt ?? Date.now()).toISOString(),
      target: target.description,
      machine: `${availableParallelism()} cores (${cpu}), shared by the load generator, the balancer and the workers`,
      settings: { ...options, outDir: undefined, help: undefined },
      phases: reports,
      totalFailed,
      logs,
    };
    await Promise.all([
      writeFile(join(outDir, 'report.json'), JSON.stringify({ ...run, phases: reports.map(({ charts: _c, ...p }) => p) }, null, 2)),
      writeFile(join(outDir, 'report.html'), htmlReport(run)),
      ...reports.flatMap((p) => [
        writeFile(join(outDir, `phase-${p.phase}-latency.svg`), p.charts.latency),
        writeFile(join(outDir, `phase-${p.phase}-servers.svg`), p.charts.servers),
      ]),
    ]);

    console.log(`\n${textTable(reports)}\n`);
    console.log(`Report: ${join(outDir, 'report.html')} (also report.json and phase-*.svg)`);
    if (logs.length > 0) console.log(`Logs: ${logs.join(', ')}`);
    console.log(totalFailed === 0 ? 'No request failed.' : `${totalFailed} requests failed.`);
    return totalFailed === 0 ? 0 : 1;
  } finally {
    await watch.stop();
    await target.tearDown();
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`load-test: ${err instanceof Error ? err.message : String(err)}`);
    // 1 says a request failed; a run that could not start is a mistake to fix, like a bad flag.
    process.exit(err instanceof UsageError ? 2 : 1);
  },
);
