import { describe, expect, it } from 'vitest';
import { htmlToText } from '../../src/platforms/mastodon/html-to-text.ts';
import { linkParam, mentionsAccount } from '../../src/platforms/mastodon/mastodon-platform.ts';

describe('Mastodon HTML content', () => {
  it('keeps the words and paragraphs, drops the markup, decodes entities once', () => {
    const html =
      '<p><span class="h-card"><a href="https://social.example/@northwind" class="u-url mention">@<span>northwind</span></a></span> Tom &amp; Jerry&#39;s &lt;b&gt;tent&lt;/b&gt;<br />line two</p><p>para &#x1F600; &amp;lt;</p>';
    expect(htmlToText(html)).toBe("@northwind Tom & Jerry's <b>tent</b>\nline two\n\npara 😀 &lt;");
  });
});

describe("Mastodon's Link header", () => {
  it('reads a parameter of one relation', () => {
    const header =
      '<https://social.example/api/v1/notifications?limit=5&max_id=101>; rel="next", <https://social.example/api/v1/notifications?limit=5&min_id=109>; rel="prev"';
    expect(linkParam(header, 'prev', 'min_id')).toBe('109');
    expect(linkParam(header, 'next', 'max_id')).toBe('101');
    expect(linkParam(undefined, 'prev', 'min_id')).toBeUndefined();
  });
});

describe('whether a reply mentions its author', () => {
  it('finds the handle with or without the server, before punctuation, and not inside a longer one', () => {
    expect(mentionsAccount('@ada@other.example, thanks!', 'ada@other.example', 'social.example')).toBe(true);
    expect(mentionsAccount('Thanks @hedy.', 'hedy', 'social.example')).toBe(true);
    expect(mentionsAccount('Thanks @hedy@social.example', 'hedy', 'social.example')).toBe(true);
    expect(mentionsAccount('Thanks @hedyl', 'hedy', 'social.example')).toBe(false);
    expect(mentionsAccount('@ada@other.example.org hi', 'ada@other.example', 'social.example')).toBe(false);
    expect(mentionsAccount('mail ada@other.example', 'ada@other.example', 'social.example')).toBe(false);
  });
});
