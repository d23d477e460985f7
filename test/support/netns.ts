import { execFileSync } from 'node:child_process';

/**
 * A test host of our own: a Linux network namespace joined to this one by a veth pair, so a
 * test can cut and restore the link while traffic flows. Needs root and iproute2.
 */
export interface TestHost {
  namespace: string;
  /** This side's address (in the root namespace) and the test host's. */
  hostAddress: string;
  guestAddress: string;
  /** `ip netns exec <ns>`: run a program inside the test host. */
  wrap: string[];
  cut(): void;
  restore(): void;
  remove(): void;
}

const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });

/** Why a network-namespace test cannot run here, or undefined when it can. */
export function netnsUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  const probe = `dcprobe${process.pid}`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'del', probe);
    return undefined;
  } catch (err) {
    return `ip netns does not work here: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
  }
}

/** `slot`: tells apart the hosts one test file makes (0 to 99). */
export function createTestHost(slot = Math.floor(Math.random() * 100)): TestHost {
  const id = `${process.pid % 10000}${String(slot).padStart(2, '0')}`;
  const namespace = `dc${id}`;
  const [outer, inner] = [`dco${id}`, `dci${id}`];
  const subnet = 1 + (Number(id) % 250);
  const hostAddress = `10.77.${subnet}.1`;
  const guestAddress = `10.77.${subnet}.2`;
  ip('netns', 'add', namespace);
  try {
    ip('link', 'add', outer, 'type', 'veth', 'peer', 'name', inner);
    ip('link', 'set', inner, 'netns', namespace);
    ip('addr', 'add', `${hostAddress}/30`, 'dev', outer);
    ip('link', 'set', outer, 'up');
    ip('netns', 'exec', namespace, 'ip', 'addr', 'add', `${guestAddress}/30`, 'dev', inner);
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', inner, 'up');
    ip('netns', 'exec', namespace, 'ip', 'link', 'set', 'lo', 'up');
  } catch (err) {
    ip('netns', 'del', namespace);
    throw err;
  }
  return {
    namespace,
    hostAddress,
    guestAddress,
    wrap: ['ip', 'netns', 'exec', namespace],
    // Taking the link down on the far side makes packets vanish (no error comes back): the
    // hardest kind of partition, found only by timeouts.
    cut: () => ip('netns', 'exec', namespace, 'ip', 'link', 'set', inner, 'down'),
    restore: () => ip('netns', 'exec', namespace, 'ip', 'link', 'set', inner, 'up'),
    remove: () => {
      try {
        ip('link', 'del', outer);
      } catch {
        // already gone with the namespace
      }
      ip('netns', 'del', namespace);
    },
  };
}
