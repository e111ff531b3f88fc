import { describe, expect, it } from 'vitest';
import { KeyIndex } from '../../src/store/files/key-index.ts';

describe('KeyIndex: key → segment number in typed arrays', () => {
  it('keeps 200,000 keys through growth, replacement and deletion, exactly like a Map', () => {
    const index = new KeyIndex(16);
    const reference = new Map<string, number>();
    for (let i = 0; i < 200_000; i++) {
      const key = `x:${1_861_000_000_000_000_000n + BigInt(i)}`;
      index.set(key, i % 1000);
      reference.set(key, i % 1000);
    }
    for (let i = 0; i < 200_000; i += 3) {
      const key = `x:${1_861_000_000_000_000_000n + BigInt(i)}`;
      expect(index.delete(key)).toBe(true);
      reference.delete(key);
    }
    for (let i = 1; i < 200_000; i += 7) {
      const key = `x:${1_861_000_000_000_000_000n + BigInt(i)}`;
      index.set(key, 7);
      reference.set(key, 7);
    }
    // Deleted slots are reused and the table compacts itself: many deletes and inserts stay correct.
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 10_000; i++) index.set(`bluesky:at://did:plc:${round}/${i}`, round);
      for (let i = 0; i < 10_000; i++) index.delete(`bluesky:at://did:plc:${round}/${i}`);
    }
    expect(index.size).toBe(reference.size);
    for (const [key, value] of reference) expect(index.get(key)).toBe(value);
    expect(index.get('x:1861000000000000000')).toBeUndefined(); // deleted (i = 0)
    expect(index.has('mastodon:1')).toBe(false);
    expect(index.delete('mastodon:1')).toBe(false);
    expect(() => index.set('x:1', -1)).toThrow(RangeError);
  });
});
