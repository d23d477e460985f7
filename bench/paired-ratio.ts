/** Two-sided 95 % points of Student's t for 1 to 30 degrees of freedom; beyond, the last is used (a little wide). */
const T95 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export interface PairedRatio {
  /** Geometric mean of the rounds' ratios. */
  mean: number;
  /** 95 % confidence interval of that mean (t on the logarithms); 0 to Infinity with one round, which cannot give one. */
  low: number;
  high: number;
}

/**
 * How `ours` compares with `theirs` when both were measured in the same rounds, one pair per
 * round. Each round's ratio cancels most of what that round did to both (the machine busier or
 * quieter; the two run one after the other, not at once), which pooling the rounds would not. An interval that contains 1 means the rounds cannot tell
 * the two apart.
 */
export function pairedRatio(ours: readonly number[], theirs: readonly number[]): PairedRatio {
  if (ours.length !== theirs.length || ours.length === 0) throw new Error('pairedRatio needs one pair per round, at least one');
  const logs = ours.map((x, i) => {
    const y = theirs[i]!;
    if (!(x > 0 && y > 0)) throw new Error(`pairedRatio needs positive numbers, not ${x} and ${y}`);
    return Math.log(x / y);
  });
  const n = logs.length;
  const mean = logs.reduce((a, b) => a + b, 0) / n;
  if (n === 1) return { mean: Math.exp(mean), low: 0, high: Number.POSITIVE_INFINITY };
  const variance = logs.reduce((sum, x) => sum + (x - mean) ** 2, 0) / (n - 1);
  const half = (T95[Math.min(n - 1, T95.length) - 1]!) * Math.sqrt(variance / n);
  return { mean: Math.exp(mean), low: Math.exp(mean - half), high: Math.exp(mean + half) };
}
