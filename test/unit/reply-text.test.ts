import { describe, expect, it } from 'vitest';
import {
  checkReplyText,
  describeTextProblem,
  fillTemplate,
  firstNameOf,
  hasUrl,
  measureForBluesky,
  measureForMastodon,
  measureForX,
  parseThreadMessage,
} from '../../src/domain/reply-text.ts';

describe("X's weighted length", () => {
  it.each([
    ['plain ASCII counts 1 each', 'hello', 5],
    ['an emoji counts 2', '🙂', 2],
    ['a CJK character counts 2', '漢字', 4],
    ['any URL counts 23', `https://northwind.com/${'x'.repeat(300)}`, 23],
    ['a mix', 'hi 🙂 漢 https://northwind.com', 2 + 1 + 2 + 1 + 2 + 1 + 23],
  ])('%s', (_name, text, expected) => {
    expect(measureForX(text).length).toBe(expected);
  });

  it('accepts exactly 280 and refuses 281', () => {
    expect(checkReplyText('a'.repeat(280), measureForX)).toBeUndefined();
    expect(checkReplyText('a'.repeat(281), measureForX)).toMatchObject({ kind: 'too_long', length: 281, limit: 280 });
    expect(checkReplyText('🙂'.repeat(140), measureForX)).toBeUndefined();
    expect(checkReplyText('🙂'.repeat(141), measureForX)).toMatchObject({ kind: 'too_long', length: 282 });
  });

  it('refuses empty and blank text', () => {
    expect(checkReplyText('', measureForX)).toEqual({ kind: 'empty' });
    expect(checkReplyText(' \n\t ', measureForX)).toEqual({ kind: 'empty' });
  });

  it('says how much to cut', () => {
    expect(describeTextProblem({ kind: 'too_long', length: 290, limit: 280 }, 'X')).toContain('Shorten it by 10');
  });

  it('spots links the way X does', () => {
    expect(hasUrl('see https://northwind.com/sizes')).toBe(true);
    expect(hasUrl('see northwind.com')).toBe(true);
    expect(hasUrl('no link here')).toBe(false);
  });
});

describe('parseThreadMessage', () => {
  it.each([
    ['reply: thanks!', { kind: 'reply', text: 'thanks!' }],
    ['Reply:thanks', { kind: 'reply', text: 'thanks' }],
    ['  REPLY:   spaced  ', { kind: 'reply', text: 'spaced' }],
    ['replying soon, internal', { kind: 'note', text: 'replying soon, internal' }],
    ['note: reply: is not at the start', { kind: 'note', text: 'note: reply: is not at the start' }],
  ])('%s', (text, expected) => {
    expect(parseThreadMessage(text)).toEqual(expected);
  });
});

describe('fillTemplate', () => {
  it('fills the three variables and leaves unknown ones visible', () => {
    expect(
      fillTemplate('Hi {{first_name}} ({{ handle }}), {{agent}} here. {{order}}', { first_name: 'Ada', handle: '@ada', agent: 'Jess' }),
    ).toBe('Hi Ada (@ada), Jess here. {{order}}');
  });

  it('takes the first name from a full name, in any script', () => {
    expect(firstNameOf('  Margaret   Hamilton ')).toEqual({ firstName: 'Margaret', fromDisplayName: true });
    expect(firstNameOf('José Martínez')).toEqual({ firstName: 'José', fromDisplayName: true });
    expect(firstNameOf("O'Brien-Smith")).toEqual({ firstName: "O'Brien-Smith", fromDisplayName: true });
    expect(firstNameOf('山田太郎')).toEqual({ firstName: '山田太郎', fromDisplayName: true });
  });

  it('says "there" when a display name does not read as a name', () => {
    for (const name of ['@here FREE iPhones', '🔥🔥🔥', 'Visit https://evil.example', 'www.deals.example', '', '12345', 'x'.repeat(40)]) {
      expect(firstNameOf(name), name).toEqual({ firstName: 'there', fromDisplayName: false });
    }
  });
});

describe('Mastodon and Bluesky counts', () => {
  it("counts Mastodon characters with links as 23 and remote mentions without their server, against the instance's limit", () => {
    expect(measureForMastodon('héllo', 500).length).toBe(5);
    expect(measureForMastodon(`see https://example.com/${'x'.repeat(100)}`, 500).length).toBe(4 + 23);
    expect(measureForMastodon('@ada@other.example thanks', 500).length).toBe('@ada thanks'.length);
    expect(checkReplyText('a'.repeat(61), (text) => measureForMastodon(text, 60))).toMatchObject({ kind: 'too_long', limit: 60 });
  });

  it('counts Bluesky graphemes: a family emoji or a flag is one', () => {
    expect(measureForBluesky('👩‍👩‍👧🇫🇷e\u0301').length).toBe(3);
    expect(checkReplyText('🇫🇷'.repeat(300), measureForBluesky)).toBeUndefined();
    expect(checkReplyText('🇫🇷'.repeat(301), measureForBluesky)).toMatchObject({ kind: 'too_long', length: 301, limit: 300 });
    // 300 graphemes can still be over the 3,000-byte cap: said plainly.
    const problem = checkReplyText('👩‍👩‍👧'.repeat(200), measureForBluesky);
    expect(problem).toMatchObject({ kind: 'invalid' });
    expect(describeTextProblem(problem as NonNullable<typeof problem>, 'Bluesky')).toContain('3,000');
  });
});

describe('twitter-text, loaded without the polyfill that slows every regular expression', () => {
  it("keeps core-js's split probe out of the process and still measures as X does", async () => {
    const { isSplitPolyfillKeptOut, twitterText } = await import('../../src/domain/twitter-text.ts');
    expect(isSplitPolyfillKeptOut()).toBe(true);
    // 5 + 1 + 23 (any URL) + 1 + 2×2 (CJK) + 1 + 2 (an emoji) = 37
    expect(twitterText.parseTweet('hello https://x.com 日本 😀').weightedLength).toBe(37);
    expect(twitterText.extractUrls('see https://x.com/a and example.org')).toEqual(['https://x.com/a', 'example.org']);
    expect('a1b22c'.split(/\d+/)).toEqual(['a', 'b', 'c']);
  });
});
