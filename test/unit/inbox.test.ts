import { describe, expect, it } from 'vitest';
import { countsOf, type InboxItem, isIn, workOrder } from '../../src/domain/inbox.ts';

const item = (key: string, over: Partial<InboxItem> = {}): InboxItem => ({
  key,
  kind: 'mention',
  platform: 'x',
  label: 'Question',
  since: '2026-12-03T09:00:00.000Z',
  answered: false,
  slack: { channel: 'C0QUESTION', ts: '1.0' },
  ...over,
});
const TODAY = '2026-12-03T00:00:00.000Z';

describe('the inbox lists', () => {
  const items = [
    item('q-old', { since: '2026-12-01T09:00:00.000Z' }),
    item('complaint', { label: 'Complaint', since: '2026-12-03T10:00:00.000Z' }),
    item('praise', { label: 'Praise' }),
    item('mine', { assignee: 'U1' }),
    item('answered', { answered: true }),
    item('dm', { kind: 'conversation', label: undefined, since: '2026-12-02T09:00:00.000Z' }),
    item('resolved', { resolved: { by: 'U1', at: '2026-12-03T08:00:00.000Z' } }),
    item('resolved-yesterday', { resolved: { by: 'U1', at: '2026-12-02T08:00:00.000Z' } }),
    item('not-in-slack-yet', { slack: undefined }),
  ];
  const keysIn = (filter: Parameters<typeof isIn>[1]) =>
    items
      .filter((i) => isIn(i, filter, 'U1', TODAY))
      .sort(workOrder(filter))
      .map((i) => i.key);

  it('puts each item where a support team looks for it, most urgent and oldest first', () => {
    expect(keysIn('mine')).toEqual(['mine']);
    // Praise is not work; a complaint comes before older questions; a conversation counts as a question.
    expect(keysIn('unassigned')).toEqual(['complaint', 'q-old', 'dm']);
    expect(keysIn('open')).toEqual(['complaint', 'q-old', 'dm', 'mine']);
    expect(keysIn('waiting')).toEqual(['answered']);
    expect(keysIn('resolved_today')).toEqual(['resolved']);
    expect(countsOf(items, 'U1', TODAY)).toEqual({ mine: 1, unassigned: 3, open: 4, waiting: 1, resolved_today: 1 });
  });
});
