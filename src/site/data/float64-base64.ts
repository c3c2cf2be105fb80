/**
 * Doubles to base64 and back, little-endian IEEE 754 on every platform: exact for every value
 * (NaN, ±Infinity, -0), and decoded by the page without parsing a number. Browser-safe: uses
 * btoa/atob, which Node.js 16+ and every browser have.
 */

export function encodeFloat64Base64(values: readonly number[]): string {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setFloat64(i * 8, v, true));
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
}

export function decodeFloat64Base64(text: string): Float64Array {
  const raw = atob(text);
  const n = Math.floor(raw.length / 8);
  const bytes = new Uint8Array(n * 8);
  for (let i = 0; i < bytes.length; i++) bytes[i] = raw.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
  return out;
}
