import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../scripts/lib/managed-process.js';

/** Runs the crash fixture and returns its exit code and the JSON lines it printed. */
async function crash(how: 'throw' | 'reject') {
  const child = spawn(process.execPath, ['--import', 'tsx', join(projectRoot, 'test/fixtures/crash.ts'), how], { cwd: projectRoot });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { level: string; msg: string; err?: { message: string; stack: string } });
  return { code, lines, stderr };
}

describe('a crash', () => {
  it.each([
    ['throw', 'uncaught exception', 'a bug nobody caught'],
    ['reject', 'unhandled rejection', 'a rejected promise nobody awaited'],
  ] as const)('when a program hits an error nobody handles (%s), then it logs one fatal line with the error, flushed after the rest, and exits 1', async (how, msg, message) => {
    const { code, lines, stderr } = await crash(how);
    expect(code).toBe(1);
    expect(stderr).toBe('');
    expect(lines.map((l) => l.level)).toEqual(['info', 'info', 'info', 'fatal']);
    expect(lines[3]).toMatchObject({ msg, err: { message } });
    expect(lines[3]!.err!.stack).toContain('crash.ts');
  });
});
