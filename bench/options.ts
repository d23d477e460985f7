import { parseArgs } from 'node:util';

export interface BenchOptions {
  /** Seconds each measured run lasts. */
  seconds: number;
  /** Rounds of the light and heavy wrk runs. */
  rounds: number;
  /** Rounds of the mixed workload. */
  mixedRounds: number;
  connections: number;
  skipMixed: boolean;
  selection: 'least_outstanding' | 'round_robin';
  /** Heavy calculations each worker advertises (CAPACITY); undefined: its default, one per core. */
  capacity: string | undefined;
  /** Our balancer's HEDGE_AFTER_MS: whole ms or `auto`; undefined: off, as shipped. */
  hedgeAfterMs: string | undefined;
}

/**
 * `npm run bench` options, checked before anything starts: a bad one stops the run with exit
 * code 2 and says which.
 */
export function parseBenchOptions(args: string[] = process.argv.slice(2)): BenchOptions {
  const { values } = parseArgs({
    args,
    options: {
      seconds: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '3' },
      connections: { type: 'string', default: '50' },
      // A round's light p99 rests on a few thousand requests and its throughput moves by 1-2 %
      // from round to round: the mixed workload gets more rounds, its percentiles come from all
      // of them pooled, and the round-by-round throughput ratio's 95 % interval is about ±1 % over
      // 16. An even number: each target goes first as often as last.
      'mixed-rounds': { type: 'string', default: '16' },
      'skip-mixed': { type: 'boolean', default: false },
      selection: { type: 'string', default: 'least_outstanding' },
      capacity: { type: 'string' },
      'hedge-after-ms': { type: 'string' },
    },
  });
  const selection = values.selection;
  if (selection !== 'round_robin' && selection !== 'least_outstanding') {
    fail(`--selection must be round_robin or least_outstanding, not ${JSON.stringify(selection)}`);
  }
  const hedge = values['hedge-after-ms'];
  if (hedge !== undefined && hedge !== 'auto') positiveInt('hedge-after-ms', hedge);
  if (values.capacity !== undefined) positiveInt('capacity', values.capacity);
  return {
    seconds: positiveInt('seconds', values.seconds),
    rounds: positiveInt('rounds', values.rounds),
    mixedRounds: positiveInt('mixed-rounds', values['mixed-rounds']),
    connections: positiveInt('connections', values.connections),
    skipMixed: values['skip-mixed'],
    selection,
    capacity: values.capacity,
    hedgeAfterMs: hedge,
  };
}

function positiveInt(name: string, text: string | undefined): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) fail(`--${name} must be a whole number of at least 1, not ${JSON.stringify(text)}`);
  return n;
}

function fail(message: string): never {
  console.error(`bench: ${message}`);
  process.exit(2);
}
