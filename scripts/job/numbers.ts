/**
 * A whole number as people type it on a command line: `1000000`, `1e11`, `2.5e9`, `10^12`,
 * `1_000_000`. Returns its exact decimal form, or undefined when it is not a whole number of 0
 * or more.
 */
export function parseWhole(text: string): string | undefined {
  const plain = text.replaceAll('_', '').trim();
  if (/^[0-9]+$/.test(plain)) return BigInt(plain).toString();
  const power = /^([0-9]+)\^([0-9]+)$/.exec(plain);
  if (power) return (BigInt(power[1]!) ** BigInt(power[2]!)).toString();
  const scientific = /^([0-9]+)(?:\.([0-9]+))?e\+?([0-9]+)$/i.exec(plain);
  if (!scientific) return undefined;
  const [, whole = '', fraction = '', exponent = '0'] = scientific;
  const shift = Number(exponent) - fraction.length;
  if (shift < 0) return undefined;
  return (BigInt(whole + fraction) * 10n ** BigInt(shift)).toString();
}
