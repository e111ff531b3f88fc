const EMPTY = -1;
const DELETED = -2;
const MAX_LOAD = 0.6;

/**
 * Key → small integer (a segment's number), for a million keys in a few typed arrays (about 24 MB)
 * instead of a Map holding every key string (measured: ~0.5 s to fill and ~80 MB at a million).
 * Open addressing with linear probing on a 64-bit hash of the key; the key itself is not kept, so
 * two keys whose 64-bit hashes collide (about one chance in 10^7 across a billion pairs) would
 * share a slot: callers confirm a hit in the segment itself, where the key is.
 */
export class KeyIndex {
  private high: Uint32Array;
  private low: Uint32Array;
  private values: Int32Array;
  private mask: number;
  private live = 0;
  /** Live and deleted slots: what the probe sequences cross. */
  private used = 0;
  private hashHigh = 0;
  private hashLow = 0;

  constructor(capacity = 1024) {
    const size = 2 ** Math.ceil(Math.log2(Math.max(16, capacity / MAX_LOAD)));
    this.high = new Uint32Array(size);
    this.low = new Uint32Array(size);
    this.values = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
  }

  get size(): number {
    return this.live;
  }

  get(key: string): number | undefined {
    const slot = this.find(key);
    return slot >= 0 ? this.values[slot] : undefined;
  }

  has(key: string): boolean {
    return this.find(key) >= 0;
  }

  set(key: string, value: number): void {
    this.setRange(key, 0, key.length, value);
  }

  /** `set` for the key at `text[start, end)`: keys read from a joined list need no string of their own. */
  setRange(text: string, start: number, end: number, value: number): void {
    if (value < 0) throw new RangeError('KeyIndex values are non-negative');
    const existing = this.findRange(text, start, end);
    if (existing >= 0) {
      this.values[existing] = value;
      return;
    }
    if ((this.used + 1) / this.values.length > MAX_LOAD) this.grow();
    this.insert(this.hashHigh, this.hashLow, value);
  }

  delete(key: string): boolean {
    const slot = this.find(key);
    if (slot < 0) return false;
    this.values[slot] = DELETED;
    this.live -= 1;
    return true;
  }

  private find(key: string): number {
    return this.findRange(key, 0, key.length);
  }

  /** The slot holding the key at `text[start, end)`, or -1; leaves its hash in hashHigh/hashLow for `setRange`. */
  private findRange(text: string, start: number, end: number): number {
    this.hash(text, start, end);
    const { high, low, values } = this;
    const mask = this.mask;
    for (let slot = this.hashLow & mask; ; slot = (slot + 1) & mask) {
      const value = values[slot] ?? EMPTY;
      if (value === EMPTY) return -1;
      if (value !== DELETED && high[slot] === this.hashHigh && low[slot] === this.hashLow) return slot;
    }
  }

  private insert(hashHigh: number, hashLow: number, value: number): void {
    const values = this.values;
    const mask = this.mask;
    let slot = hashLow & mask;
    while ((values[slot] ?? EMPTY) >= 0) slot = (slot + 1) & mask;
    if (values[slot] === EMPTY) this.used += 1;
    this.high[slot] = hashHigh;
    this.low[slot] = hashLow;
    values[slot] = value;
    this.live += 1;
  }

  /** Doubles the table when it holds live keys (or only drops deleted slots), re-placing every live key. */
  private grow(): void {
    const { high, low, values } = this;
    const size = this.live * 2 >= values.length * MAX_LOAD ? values.length * 2 : values.length;
    this.high = new Uint32Array(size);
    this.low = new Uint32Array(size);
    this.values = new Int32Array(size).fill(EMPTY);
    this.mask = size - 1;
    this.live = 0;
    this.used = 0;
    for (let slot = 0; slot < values.length; slot++) {
      const value = values[slot] ?? EMPTY;
      if (value >= 0) this.insert(high[slot] ?? 0, low[slot] ?? 0, value);
    }
  }

  /** Two independent 32-bit halves (cyrb53's mixing, kept to 64 bits). */
  private hash(text: string, start: number, end: number): void {
    let h1 = 0xdeadbeef;
    let h2 = 0x41c6ce57;
    for (let i = start; i < end; i++) {
      const code = text.charCodeAt(i);
      h1 = Math.imul(h1 ^ code, 2654435761);
      h2 = Math.imul(h2 ^ code, 1597334677);
    }
    h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
    h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
    h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
    h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
    this.hashHigh = h1 >>> 0;
    this.hashLow = h2 >>> 0;
  }
}
