// Mixed-workload A/B: BUILDS=name=path/to/main.js,... each on its own port, FLAGS_<name>, ENV_<name> (JSON); same workers; plus nginx.
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { createLocalStack } from '../scripts/lib/local-stack.js';
import { projectRoot } from '../scripts/lib/managed-process.js';
import { runClosedLoop } from './closed-loop.js';
const runPhase = (o: { baseUrl: string; paths: string[]; users: number; minDurationMs: number; timeoutMs: number }) => runClosedLoop({ origins: o.baseUrl.split(','), paths: o.paths, users: o.users, durationMs: o.minDurationMs, timeoutMs: o.timeoutMs });
import { percentile } from '../scripts/load-test/stats.js';
import { cpuSeconds, startMinimalProxy, startNginx, wrk } from './tools.js';
import { readFileSync } from 'node:fs';
const idleJ = () => { const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number); return [f[3]! + f[4]!, f.reduce((a, b) => a + b, 0)] as const; };
const sysSeconds = (pid: number) => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[12]) / 100;

const LIGHT = '/is_prime/524287';
const HEAVY = `/is_prime/${2n ** 1279n - 1n}`;
const stack = createLocalStack({ balancerPort: 9200, workerPorts: [9201, 9202], logDir: join(projectRoot, 'logs', 'bench'), direct: true, env: { LOG_LEVEL: 'info', REQUEST_TIMEOUT_MS: '30000' } });
await stack.start();
const builds = (process.env.BUILDS ?? '').split(',').filter(Boolean).map((s, i) => { const [name, main] = s.split('='); return { name: name!, main: main!, port: 9210 + i, pid: 0 }; });
const procs: ChildProcess[] = [];
for (const b of builds) {
  const fd = openSync(`/tmp/ab-${b.name}.log`, 'w');
  const flags = process.env[`FLAGS_${b.name}`]?.split(' ').filter(Boolean) ?? [];
  const env = JSON.parse(process.env[`ENV_${b.name}`] ?? '{}') as Record<string, string>;
  const p = spawn(process.execPath, [...flags, b.main], { env: { ...process.env, PORT: String(b.port), LOG_LEVEL: 'info', REQUEST_TIMEOUT_MS: '30000', ...env }, stdio: ['ignore', fd, fd], detached: true });
  procs.push(p); b.pid = p.pid!;
}
await new Promise((r) => setTimeout(r, 1500));
for (const b of builds) for (const [i, w] of stack.workers.entries()) {
  await fetch(`http://127.0.0.1:${b.port}/server_up`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ address: `http://127.0.0.1:${w.port}`, name: `server${i + 1}`, capacity: Number(process.env[`CAP_${b.name}`] ?? 2) }) });
}
const nginx = await startNginx(mkdtempSync(join(tmpdir(), 'ng-')), stack.workers.map((w) => `127.0.0.1:${w.port}`), { roundRobin: 9300, leastConn: 9301 });
const raw = process.env.RAW ? await startMinimalProxy(9310, 'raw', stack.workers.map((w) => `127.0.0.1:${w.port}`)) : undefined;
const rawh = process.env.RAWH ? await startMinimalProxy(9311, 'hedged=1', stack.workers.map((w) => `127.0.0.1:${w.port}`)) : undefined;
const direct = process.env.DIRECT ? [{ name: 'direct', url: stack.workers.map((w) => `http://127.0.0.1:${w.port}`).join(','), pids: () => [] as number[] }] : [];
const targets = [...direct, ...builds.map((b) => ({ name: b.name, url: `http://127.0.0.1:${b.port}`, pids: () => [b.pid] })), ...(process.env.NO_NGINX ? [] : [{ name: 'nginx', url: 'http://127.0.0.1:9300', pids: nginx.pids }]), ...(process.env.LC ? [{ name: 'lc', url: 'http://127.0.0.1:9301', pids: nginx.pids }] : []), ...(raw ? [{ name: 'raw', url: raw.url, pids: raw.pids }] : []), ...(rawh ? [{ name: 'rawh', url: rawh.url, pids: rawh.pids }] : [])];
const secs = Number(process.env.SECS ?? 8);
const paths = [...Array.from({ length: 9 }, () => LIGHT), HEAVY];
const spec = { phase: 1, paths, users: 50, requestsPerUser: 1, timeoutMs: 30000, threads: 1 };
try {
  if (process.env.WRKWARM) for (const t of targets) await wrk(`${t.url}${LIGHT}`, 50, Number(process.env.WRKWARM));
  for (const t of targets) await runPhase({ ...spec, baseUrl: t.url, minDurationMs: Number(process.env.WARMUP ?? 4000) });
  const idles: Record<string, number[]> = {};
  const res: Record<string, { us: number[]; rps: number[]; p99: number[]; light: number[] }> = {};
  for (let round = 0; round < Number(process.env.ROUNDS ?? 3); round++) {
    const order = round % 2 ? [...targets].reverse() : targets;
    for (const t of order) {
      await new Promise((r) => setTimeout(r, 1500));
      const wpids = stack.workers.map((w) => w.pid!);
      const wb = wpids.reduce((s, p) => s + cpuSeconds(p), 0);
      const before = t.pids().reduce((s, p) => s + cpuSeconds(p), 0);
      const sysBefore = t.pids().reduce((s, p) => s + sysSeconds(p), 0);
      const i0 = idleJ(); const g0 = process.cpuUsage(); const calcPids = stack.workers.flatMap((w) => { try { return readFileSync(`/proc/${w.pid}/task/${w.pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number); } catch { return []; } }); const c0 = calcPids.reduce((s, p) => s + cpuSeconds(p), 0);
      const samples: Array<[number, number, number]> = []; let prevI = idleJ(); const sampler = setInterval(() => { const c = idleJ(); samples.push([Date.now(), c[0] - prevI[0], c[1] - prevI[1]]); prevI = c; }, 250);
      const run = await runPhase({ ...spec, baseUrl: t.url, minDurationMs: (secs + 1) * 1000 });
      clearInterval(sampler);
      { const st = run.startedAt; const stopAt = st + (secs + 1) * 1000; const seg = (a: number, b: number) => { const xs = samples.filter(([t]) => t > a && t <= b); const i = xs.reduce((s, x) => s + x[1], 0), tt = xs.reduce((s, x) => s + x[2], 0); return tt ? (100 * i / tt).toFixed(2) : '-'; };
        const done = (a: number, b: number) => run.records.filter((r) => r.start + r.latencyMs > a && r.start + r.latencyMs <= b).length;
        console.log(`   idle%: start..1s ${seg(st - 1000, st + 1000)}  steady 1-${secs + 1}s ${seg(st + 1000, stopAt)}  drain ${seg(stopAt, run.endedAt + 250)} (${((run.endedAt - stopAt) / 1000).toFixed(2)} s, ${done(stopAt, run.endedAt + 1)} done)  steady rps ${(done(st + 1000, stopAt) * 1000 / (stopAt - st - 1000)).toFixed(1)}`); }
      const i1 = idleJ(); const idlePct = (100 * (i1[0] - i0[0])) / (i1[1] - i0[1]); const g1 = process.cpuUsage(g0); const genUs = (g1.user + g1.system) / run.records.length; const calcUs = ((calcPids.reduce((s, p) => s + cpuSeconds(p), 0) - c0) * 1e6) / run.records.length;
      const after = t.pids().reduce((s, p) => s + cpuSeconds(p), 0);
      const sysUs = ((t.pids().reduce((s, p) => s + sysSeconds(p), 0) - sysBefore) * 1e6) / run.records.length;
      const wus = ((wpids.reduce((s, p) => s + cpuSeconds(p), 0) - wb) * 1e6) / run.records.length;
      const from = run.startedAt + 1000;
      const light = run.records.filter((r) => r.start >= from && r.path === LIGHT && r.error === null).map((r) => r.latencyMs).sort((a, b) => a - b);
      const rps = (run.records.filter((r) => r.start + r.latencyMs >= from).length * 1000) / (run.endedAt - from);
      const us = ((after - before) * 1e6) / run.records.length;
      const e = (res[t.name] ??= { us: [], rps: [], p99: [], light: [] });
      e.us.push(us); e.rps.push(rps); e.p99.push(percentile(light, 99)); e.light.push(...light);
      console.log(`r${round} ${t.name.padEnd(8)} ${rps.toFixed(0)} req/s  light p50 ${percentile(light, 50).toFixed(2)} p99 ${percentile(light, 99).toFixed(2)}  ${us.toFixed(0)} us/req (sys ${sysUs.toFixed(0)})  workers ${wus.toFixed(0)} us/req  failed ${run.records.filter((r) => r.error !== null).length}  idle ${idlePct.toFixed(2)} %  gen ${genUs.toFixed(0)} calc ${calcUs.toFixed(0)} us/req (${calcPids.length})`);
      (idles[t.name] ??= []).push(idlePct);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  for (const [k, v] of Object.entries(res)) console.log(`${k.padEnd(8)} CPU med ${med(v.us).toFixed(0)} mean ${mean(v.us).toFixed(0)} us/req | rps mean ${mean(v.rps).toFixed(1)} | pooled light p99 ${percentile(v.light.sort((a, b) => a - b), 99).toFixed(2)} | idle mean ${mean(idles[k]!).toFixed(2)} %`);
  if (process.env.METRICS) for (const b of builds) { const text = await (await fetch(`http://127.0.0.1:${b.port}/metrics`)).text(); const lines = text.split('\n').filter((l) => /^distcalc_(hedged_requests_total|requests_total|upstream_failures_total)/.test(l)); console.log(b.name, lines.join('\n  ')); }
} finally { await raw?.stop(); await rawh?.stop(); for (const p of procs) p.kill('SIGTERM'); await nginx.stop(); await stack.stop(); }
