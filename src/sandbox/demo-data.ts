import type { AutoReplyRule } from '../domain/auto-replies/rules.ts';
import type { LikeRecord, MentionRecord } from '../domain/records.ts';
import type { Classification } from '../domain/triage/labels.ts';

/** Demo customers and the mentions they write in the sandbox: a realistic mix, not the training set. */
export const DEMO_CUSTOMERS = [
  { username: 'margaret_h', name: 'Margaret Hamilton' },
  { username: 'ada_lovelace', name: 'Ada Lovelace' },
  { username: 'grace_hopper', name: 'Grace Hopper' },
  { username: 'katherine_j', name: 'Katherine Johnson' },
  { username: 'alan_t', name: 'Alan Turing' },
  { username: 'hedy_l', name: 'Hedy Lamarr' },
];

export const DEMO_MENTIONS = [
  'how long does delivery to Dublin usually take',
  'my parcel says delivered but it is not here, what now?',
  'the new trail runners are incredibly comfortable, thank you!',
  'off to the Cairngorms this weekend, wish us luck',
  'why have I been charged twice for order 10482??',
  'is the Alpine jacket warm enough for Iceland in March',
  'huge thanks to the Leeds store team for fixing my zip while I waited',
  'the app logs me out every time I open the basket. again.',
  'anyone else at the trail cleanup on Saturday? <!channel> come along',
  'can I swap my order to a size M before it ships',
  'Tom & Jerry tested your tent: 10/10 <b>would camp again</b>',
  'still waiting on my refund from three weeks ago',
];

export const DEMO_SAVED_REPLIES = [
  {
    name: 'thanks',
    text: 'Thank you {{first_name}}! It means a lot to the team. {{agent}}',
    createdBy: 'U0ALICE001',
    createdAt: '2026-11-01T09:00:00.000Z',
  },
  {
    name: 'order-status',
    text: '{{handle}} Sorry for the wait, {{first_name}}! Could you DM us your order number? We will check it right away. {{agent}}',
    createdBy: 'U0ALICE001',
    createdAt: '2026-11-01T09:00:00.000Z',
  },
  {
    name: 'delivery-times',
    text: 'Hi {{first_name}}! Orders ship within one working day; delivery takes 2 to 4 days in the UK and Ireland, 3 to 6 elsewhere in Europe. Tracking comes by email.',
    createdBy: 'U0ALICE001',
    createdAt: '2026-11-01T09:00:00.000Z',
  },
  {
    name: 'refund-sorry',
    text: 'Hi {{first_name}}, sorry about this. Refunds reach your card within 5 working days of the return; send us your order number by DM and we will check where yours is.',
    createdBy: 'U0ALICE001',
    createdAt: '2026-11-01T09:00:00.000Z',
  },
];

/**
 * Two automatic-reply rules, so a newcomer sees both states: one live (delivery questions get the
 * shipping times, with an Undo window), one still a dry run (refund complaints: it says in the
 * thread what it would send and tells #escalations nothing until an admin switches it on).
 */
export const DEMO_RULES: AutoReplyRule[] = [
  {
    id: 'demo-rule-delivery',
    name: 'Delivery times',
    position: 1,
    mode: 'live',
    when: { labels: ['Question'], keywords: ['delivery', 'shipping', 'ship', 'arrive'] },
    actions: { savedReply: 'delivery-times' },
    continueAfter: false,
    dailyCap: 50,
    version: 1,
    createdBy: 'U0ALICE001',
    createdAt: '2026-11-01T09:00:00.000Z',
    updatedBy: 'U0ALICE001',
    updatedAt: '2026-11-01T09:00:00.000Z',
  },
  {
    id: 'demo-rule-refunds',
    name: 'Refund worries',
    position: 2,
    mode: 'dry_run',
    when: { labels: ['Complaint'], keywords: ['refund', 'charged'] },
    actions: { savedReply: 'refund-sorry', notifyChannel: 'C0ESCALATE' },
    continueAfter: false,
    dailyCap: 20,
    version: 1,
    createdBy: 'U0ALICE001',
    createdAt: '2026-11-01T09:00:00.000Z',
    updatedBy: 'U0ALICE001',
    updatedAt: '2026-11-01T09:00:00.000Z',
  },
];

/** Where the demo customers have their Mastodon accounts (not the brand's own instance). */
export const DEMO_MASTODON_SERVER = 'fosstodon.example';
/** Bluesky handles are domain names: no underscores. */
export const demoBlueskyHandle = (username: string) => `${username.replace(/_/g, '-')}.bsky.social`;

/** Customers the shop already knows (as an import would bring them), matched to authors by handle. */
export const DEMO_CONTACTS = DEMO_CUSTOMERS.map((customer, index) => ({
  key: `demo-contact-${index + 1}`,
  name: customer.name,
  // The same people on all three networks: their mentions land on one contact wherever they write.
  identities: [
    { platform: 'x' as const, userId: '', handle: customer.username, profileUrl: `https://x.com/${customer.username}` },
    {
      platform: 'mastodon' as const,
      userId: '',
      handle: `${customer.username}@${DEMO_MASTODON_SERVER}`,
      profileUrl: `https://${DEMO_MASTODON_SERVER}/@${customer.username}`,
    },
    {
      platform: 'bluesky' as const,
      userId: '',
      handle: demoBlueskyHandle(customer.username),
      profileUrl: `https://bsky.app/profile/${demoBlueskyHandle(customer.username)}`,
    },
  ],
  emails: [`${customer.username.replace(/_/g, '.')}@example.com`],
  company: ['NASA', 'Analytical Engines Ltd', 'US Navy', 'NASA', 'Bletchley Park', 'MGM'][index],
  tags: index === 0 ? ['vip'] : [],
  createdAt: '2026-11-01T09:00:00.000Z',
  updatedAt: '2026-11-01T09:00:00.000Z',
}));

/** A few orders per demo customer, as the shop would have synced them. */
export const DEMO_ORDERS = DEMO_CONTACTS.flatMap((contact, index) =>
  Array.from({ length: 1 + (index % 3) }, (_, n) => ({
    key: `order:NW-${1000 + index * 10 + n}`,
    externalId: `NW-${1000 + index * 10 + n}`,
    contactId: contact.key,
    email: contact.emails[0],
    totalCents: 2_490 + index * 1_375 + n * 4_210,
    currency: 'EUR',
    status: n === 0 ? 'shipped' : 'delivered',
    createdAt: `2026-11-${String(3 + index * 3 + n).padStart(2, '0')}T10:00:00.000Z`,
    importedAt: '2026-11-20T09:00:00.000Z',
  })),
);

/**
 * Last week's mentions as the store would hold them, so the digest has history to compare with:
 * 4 to 11 a day from the demo customers, most answered by Alice or Bob, some liked or resolved.
 * Deterministic (no randomness), so the sandbox looks the same on every machine.
 */
export function demoHistory(now: Date, classify: (text: string) => Classification): MentionRecord[] {
  const records: MentionRecord[] = [];
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  let n = 0;
  for (let daysAgo = 8; daysAgo >= 1; daysAgo--) {
    const perDay = 4 + ((daysAgo * 7) % 8);
    for (let i = 0; i < perDay; i++, n++) {
      const author = DEMO_CUSTOMERS[(n * 5) % DEMO_CUSTOMERS.length]!;
      const text = DEMO_MENTIONS[(n * 7) % DEMO_MENTIONS.length]!;
      const createdAt = new Date(today - daysAgo * 86_400_000 + (7 + ((i * 5 + daysAgo) % 14)) * 3_600_000 + ((n * 13) % 60) * 60_000);
      const id = String(1_700_000_000_000_000_000n + BigInt(n));
      const classification = classify(text);
      const answered = n % 4 !== 0;
      const at = (minutes: number) => new Date(createdAt.getTime() + minutes * 60_000).toISOString();
      records.push({
        key: `x:${id}`,
        mention: {
          platform: 'x',
          id,
          text,
          url: `https://x.com/${author.username}/status/${id}`,
          createdAt: createdAt.toISOString(),
          author: {
            id: `demo-${author.username}`,
            handle: author.username,
            name: author.name,
            profileUrl: `https://x.com/${author.username}`,
          },
          cursor: id,
        },
        classification,
        contactId: DEMO_CONTACTS[DEMO_CUSTOMERS.indexOf(author)]?.key ?? '',
        slack: {
          channel: 'C0QUESTION',
          attemptedAt: createdAt.toISOString(),
          ts: `${Math.floor(createdAt.getTime() / 1000)}.000100`,
          postedAt: createdAt.toISOString(),
        },
        workflow: {
          replies: answered ? [{ by: n % 3 === 0 ? 'U0BOB00001' : 'U0ALICE001', at: at(12 + ((n * 17) % 150)) }] : [],
          liked: classification.label === 'Praise' ? { by: 'U0ALICE001', at: at(5) } : undefined,
          resolved: answered && n % 2 === 0 ? { by: 'U0ALICE001', at: at(200) } : undefined,
        },
      });
    }
  }
  return records;
}

/**
 * Likes of the brand's posts last week, as Mastodon and Bluesky would have reported them: a few a
 * day from the demo customers (known contacts) and a stranger, so the digest has likes to sum.
 */
export function demoLikes(now: Date): LikeRecord[] {
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const likes: LikeRecord[] = [];
  for (let daysAgo = 8; daysAgo >= 1; daysAgo--) {
    for (let i = 0; i < 2 + (daysAgo % 3); i++) {
      const customer = DEMO_CUSTOMERS[(daysAgo + i * 2) % DEMO_CUSTOMERS.length]!;
      const onMastodon = (daysAgo + i) % 2 === 0;
      const stranger = i === 2;
      const createdAt = new Date(today - daysAgo * 86_400_000 + (10 + i * 3) * 3_600_000).toISOString();
      likes.push({
        key: `${onMastodon ? 'mastodon' : 'bluesky'}:demo-like-${daysAgo}-${i}`,
        platform: onMastodon ? 'mastodon' : 'bluesky',
        postId: 'demo-brand-post',
        author: stranger
          ? { id: 'demo-stranger', handle: 'passer-by.bsky.social', name: 'Passer-by' }
          : { id: `demo-${customer.username}`, handle: customer.username, name: customer.name },
        contactId: stranger ? undefined : DEMO_CONTACTS[DEMO_CUSTOMERS.indexOf(customer)]?.key,
        createdAt,
      });
    }
  }
  return likes;
}
