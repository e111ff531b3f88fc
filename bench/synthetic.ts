import type { MentionRecord } from '../src/domain/records.ts';

const TEXTS = [
  '@northwind my order still has not arrived, it has been two weeks',
  '@northwind how do I change my delivery address',
  '@northwind thanks for the quick refund, great service',
  '@northwind heading to the mountains this weekend with my new pack',
  '@northwind is the Ridgeline jacket waterproof?',
  '@northwind the zip broke after two days, not impressed',
];

/** A realistic stored mention (about 600 bytes of JSON), deterministic for a given index. */
export function syntheticRecord(index: number, createdAt: string, posted: boolean): MentionRecord {
  const id = String(1_861_000_000_000_000_000n + BigInt(index));
  const handle = `customer_${index % 50_000}`;
  return {
    key: `x:${id}`,
    mention: {
      platform: 'x',
      id,
      text: TEXTS[index % TEXTS.length] ?? '',
      url: `https://x.com/${handle}/status/${id}`,
      createdAt,
      author: {
        id: String(3_000_000 + (index % 50_000)),
        handle,
        name: `Customer ${index % 50_000}`,
        profileUrl: `https://x.com/${handle}`,
      },
      cursor: id,
    },
    classification: { label: 'Question', sentiment: { score: -0.25, label: 'negative' } },
    contactId: `00000000-0000-4000-8000-${String(index % 50_000).padStart(12, '0')}`,
    slack: posted
      ? {
          channel: 'C0QUESTION',
          attemptedAt: createdAt,
          ts: `1764000000.${String(index % 1_000_000).padStart(6, '0')}`,
          postedAt: createdAt,
        }
      : { channel: 'C0QUESTION', attemptedAt: createdAt },
  };
}

export function syntheticMention(index: number) {
  return syntheticRecord(index, new Date(Date.UTC(2026, 10, 25, 9, 0, index % 60)).toISOString(), false).mention;
}
