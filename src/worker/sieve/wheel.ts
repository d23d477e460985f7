/**
 * The modulo-30 wheel: of every 30 consecutive numbers only the 8 coprime to 2, 3 and 5 can be
 * prime, so one byte of the sieve stands for 30 numbers, bit b for `30 * byte + RESIDUES[b]`.
 * That is 3.75 times fewer bits than one per number, and a sieving prime crosses off only the
 * multiples `p * q` with q coprime to 30 as well (8 of every 30).
 *
 * A prime p = 30a + r walks its multiples with a wheel index w = 8 * index(r) + index(q mod 30):
 * the next multiple is `GAPS[w & 7] * a + CORRECTION[w]` bytes further, and its bit is cleared
 * with `CLEAR[w]` (see primesieve's doc/ALGORITHMS.md, "wheel factorization"). Eight steps
 * make a full turn of q: exactly p bytes.
 *
 * The tables are computed once at import and never written.
 */
export const RESIDUES: readonly number[] = [1, 7, 11, 13, 17, 19, 23, 29];

/** From RESIDUES[i] to the next number coprime to 30. */
export const GAPS = Uint8Array.from([6, 4, 2, 4, 2, 4, 6, 2]);

const INDEX_OF_RESIDUE = new Int8Array(30).fill(-1);
RESIDUES.forEach((r, i) => (INDEX_OF_RESIDUE[r] = i));

/**
 * n mod 30 for any whole n below 2^53. Not `n % 30`: past 2^31 V8 computes that with the C
 * library's fmod, many times slower. The rounded quotient is off by at most one, which the
 * last step fixes; 30 times it is even and below 2^54, so exact.
 */
export function mod30(n: number): number {
  const r = n - Math.floor(n / 30) * 30;
  return r < 0 ? r + 30 : r >= 30 ? r - 30 : r;
}

/** The bit of `n` in its byte, or -1 when n is divisible by 2, 3 or 5. */
export function bitOf(n: number): number {
  return INDEX_OF_RESIDUE[mod30(n)]!;
}

/** For x in 0..29, how far to the next number coprime to 30 (0 when x is one). */
const TO_COPRIME = Uint8Array.from({ length: 30 }, (_, x) => {
  let d = 0;
  while (INDEX_OF_RESIDUE[(x + d) % 30]! < 0) d += 1;
  return d;
});

/** The smallest number at least `q` that is coprime to 30. */
export function nextCoprime(q: number): number {
  return q + TO_COPRIME[mod30(q)]!;
}

/** Byte mask that clears the bit of the multiple at wheel index w. */
export const CLEAR = new Uint8Array(64);
/** Bytes beyond `GAPS[w & 7] * a` to the next multiple at wheel index w. */
export const CORRECTION = new Uint8Array(64);

for (let pi = 0; pi < 8; pi++) {
  const r = RESIDUES[pi]!;
  for (let qi = 0; qi < 8; qi++) {
    const w = pi * 8 + qi;
    const product = (r * RESIDUES[qi]!) % 30;
    CLEAR[w] = ~(1 << INDEX_OF_RESIDUE[product]!) & 0xff;
    CORRECTION[w] = Math.floor((product + r * GAPS[qi]!) / 30);
  }
}

/** The wheel index after w: the same prime, the next q. */
export function nextWheelIndex(w: number): number {
  return (w & ~7) | ((w + 1) & 7);
}

/** The wheel index of the multiple p * q (both coprime to 30). */
export function wheelIndex(p: number, q: number): number {
  return INDEX_OF_RESIDUE[mod30(p)]! * 8 + INDEX_OF_RESIDUE[mod30(q)]!;
}

/**
 * For a whole turn of a prime p = 30a + r starting at wheel index w, step k (0..7) lies
 * `a * TURN_GAPS[8w + k] + TURN_CORRECTIONS[8w + k]` bytes on and clears with
 * `TURN_MASKS[8w + k]` (the small primes' unrolled loop).
 */
export const TURN_GAPS = new Uint8Array(64 * 8);
export const TURN_CORRECTIONS = new Uint8Array(64 * 8);
export const TURN_MASKS = new Uint8Array(64 * 8);
for (let start = 0; start < 64; start++) {
  let w = start;
  let gaps = 0;
  let corrections = 0;
  for (let k = 0; k < 8; k++) {
    TURN_GAPS[start * 8 + k] = gaps;
    TURN_CORRECTIONS[start * 8 + k] = corrections;
    TURN_MASKS[start * 8 + k] = CLEAR[w]!;
    gaps += GAPS[w & 7]!;
    corrections += CORRECTION[w]!;
    w = nextWheelIndex(w);
  }
}
