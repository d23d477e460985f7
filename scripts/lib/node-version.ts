/** The oldest Node.js the programs run on (package.json's engines: ^20.18.1 || ^24.0.0). */
const OLDEST_NODE = [20, 18, 1] as const;

/** Why this Node.js is too old for distcalc, or undefined when it will do. */
export function nodeTooOld(version: string = process.versions.node): string | undefined {
  const [major = 0, minor = 0, patch = 0] = version.split('.').map(Number);
  const [m, n, p] = OLDEST_NODE;
  const older = major !== m ? major < m : minor !== n ? minor < n : patch < p;
  return older ? `Node.js ${version} is too old: distcalc needs ${OLDEST_NODE.join('.')} or later (https://nodejs.org)` : undefined;
}
