export interface ControlSettings {
  registrationToken: string | undefined;
  allowedServerHosts: readonly string[];
}

/**
 * The start-up warning for control routes (`/server_up`, `/server_down`) that anyone who
 * reaches the port may call, or undefined when REGISTRATION_TOKEN or ALLOWED_SERVER_HOSTS
 * keeps them. A range of prefix length 0 (`0.0.0.0/0`, `::/0`) lists every address, so it keeps
 * nobody out and counts as no list.
 */
export function openControlWarning({ registrationToken, allowedServerHosts }: ControlSettings): string | undefined {
  if (registrationToken !== undefined) return undefined;
  const everything = allowedServerHosts.find((pattern) => /^[^/]+\/0+$/.test(pattern));
  if (allowedServerHosts.length > 0 && everything === undefined) return undefined;
  const why = everything === undefined ? 'every host' : `ALLOWED_SERVER_HOSTS lists ${everything}, which is every address: every host`;
  return `registration is open: ${why} that reaches this port can add or drain workers; set REGISTRATION_TOKEN or ALLOWED_SERVER_HOSTS`;
}
