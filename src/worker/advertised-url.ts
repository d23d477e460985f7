import { networkInterfaces } from 'node:os';

export type Interfaces = ReturnType<typeof networkInterfaces>;

/**
 * The URL the worker gives the balancer: ADVERTISED_URL as set; with `auto`, this machine's
 * own address on its network (a container's address on the compose network, so that scaled
 * replicas each advertise their own); unset, loopback (the local stack).
 */
export function advertisedUrlFor(setting: string | undefined, port: number, interfaces: Interfaces = networkInterfaces()): string {
  if (setting === undefined) return `http://127.0.0.1:${port}`;
  if (setting !== 'auto') return setting;
  const addresses = Object.values(interfaces)
    .flat()
    .filter((info) => info !== undefined && !info.internal);
  const v4 = addresses.find((info) => info!.family === 'IPv4');
  if (v4) return `http://${v4.address}:${port}`;
  // A link-local IPv6 address needs a zone to be reachable: useless to a balancer elsewhere.
  const v6 = addresses.find((info) => info!.family === 'IPv6' && !info!.address.toLowerCase().startsWith('fe80:'));
  if (v6) return `http://[${v6.address}]:${port}`;
  throw new Error('ADVERTISED_URL=auto, but this machine has no network address other than loopback');
}
