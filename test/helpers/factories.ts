import type { MentionRecord } from '../../src/domain/records.ts';

type AttemptRecord = Omit<MentionRecord, 'slack'> & { slack: { channel: string } };

/** Payload factories with defaults: a test states only what matters to it. */
export function mentionRecord(
  id: string,
  createdAt = '2026-11-25T09:00:00.000Z',
  overrides: { text?: string; handle?: string; name?: string } = {},
): AttemptRecord {
  return {
    key: `x:${id}`,
    mention: {
      platform: 'x',
      id,
      text: overrides.text ?? `mention ${id}`,
      url: `https://x.com/ada/status/${id}`,
      createdAt,
      author: { id: '42', handle: overrides.handle ?? 'ada', name: overrides.name ?? 'Ada', profileUrl: 'https://x.com/ada' },
      cursor: id,
    },
    classification: { label: 'Question', sentiment: { score: 0, label: 'neutral' } },
    contactId: 'contact-1',
    slack: { channel: 'C0MENTIONS' },
  };
}
