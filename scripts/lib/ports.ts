import { createServer } from 'node:net';

/**
 * The first of `ports` that something already listens on (127.0.0.1), or undefined. Checked
 * before a stack starts, so that a taken port is one clear line rather than a process dying
 * at start, and before its log files are emptied for the new run.
 */
export async function takenPort(ports: readonly number[]): Promise<number | undefined> {
  const free = (port: number) =>
    new Promise<boolean>((resolve) => {
      const probe = createServer().once('error', () => resolve(false));
      probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
    });
  for (const port of ports) if (!(await free(port))) return port;
  return undefined;
}
