/**
 * A stable sort of indices by a double key in linear time: least-significant-digit radix sort
 * over the key's bits mapped to unsigned order (negative numbers flipped, -0 taken as 0). A
 * comparator sort of 100,000 runs costs ~1.7 million calls; this costs four passes.
 */

const DIGIT = 16;
const BUCKETS = 1 << DIGIT;
const MASK = BUCKETS - 1;
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** `order` (indices into `keys`) sorted by key ascending; equal keys keep their order. */
export function radixOrder(order: Uint32Array, keys: Float64Array): Uint32Array {
  const n = order.length;
  const hi = new Uint32Array(n);
  const lo = new Uint32Array(n);
  const double = new Float64Array(1);
  const words = new Uint32Array(double.buffer);
  const [H, L] = LITTLE_ENDIAN ? [1, 0] : [0, 1];
  for (let p = 0; p < n; p++) {
    const k = keys[order[p] as number] as number;
    double[0] = k === 0 ? 0 : k;
    let h = words[H] as number;
    let l = words[L] as number;
    if (h & 0x80000000) {
      h = ~h >>> 0;
      l = ~l >>> 0;
    } else h = (h | 0x80000000) >>> 0;
    hi[p] = h;
    lo[p] = l;
  }
  // Sort positions 0..n-1 (into order/hi/lo), digit by digit from the least significant.
  let pos = Uint32Array.from({ length: n }, (_, i) => i);
  let next = new Uint32Array(n);
  const count = new Uint32Array(BUCKETS);
  for (const [word, shift] of [
    [lo, 0],
    [lo, DIGIT],
    [hi, 0],
    [hi, DIGIT],
  ] as const) {
    count.fill(0);
    for (let i = 0; i < n; i++)
      (count[((word[pos[i] as number] as number) >>> shift) & MASK] as number)++;
    if ((count[((word[pos[0] ?? 0] ?? 0) >>> shift) & MASK] as number) === n) continue;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = count[b] as number;
      count[b] = sum;
      sum += c;
    }
    for (let i = 0; i < n; i++) {
      const p = pos[i] as number;
      const b = ((word[p] as number) >>> shift) & MASK;
      next[count[b] as number] = p;
      count[b] = (count[b] as number) + 1;
    }
    [pos, next] = [next, pos];
  }
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = order[pos[i] as number] as number;
  return out;
}
