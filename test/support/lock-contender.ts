// A separate process that tries to take a data directory's lock each time its parent says `go`,
// and answers whether it got it. Processes, not promises: the race to take over a stale lock
// is between programs whose file operations truly run at once.
import { lockDataDir } from '../../src/balancer/jobs/journal-lock.js';

process.on('message', (dir: string) => {
  lockDataDir(dir).then(
    () => process.send!('got'),
    // Refused because another holds it; not because a takeover never finished, which is a failure here.
    (err: unknown) => process.send!(err instanceof Error && err.message.includes(' is in use by the balancer with pid ') ? 'refused' : String(err)),
  );
});
process.send!('ready');
