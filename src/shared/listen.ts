import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

/**
 * Listens on `port` and `host`, then calls `onListening` with the port (the one chosen, for 0).
 * A port already taken or not permitted, or a HOST that is no address here or does not resolve,
 * is a mistake people make, not a crash: it gets one fatal line that names the port and the
 * variables that move it, and the process exits 1.
 */
export function listenOrExit(
  server: Server,
  { port, host, logger, exit }: { port: number; host: string; logger: Logger; exit: (code: number) => void },
  onListening: (port: number) => void,
): void {
  server.once('error', (err: NodeJS.ErrnoException) => {
    const problem =
      err.code === 'EADDRINUSE'
        ? `port ${port} on ${host} is already in use`
        : err.code === 'EACCES'
          ? `port ${port} needs privileges this process does not have`
          : err.code === 'EADDRNOTAVAIL'
            ? `${host} is not an address of this machine`
            : err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN'
              ? `${host} is not an address, and no host of that name is found`
              : undefined;
    if (!problem) throw err;
    logger.fatal({ code: err.code, port, host }, `cannot listen: ${problem}; set PORT (or HOST) to change it`);
    exit(1);
  });
  server.listen(port, host, () => onListening((server.address() as AddressInfo).port));
}
