import type { ContactRecord } from '../domain/records.ts';
import type { Log } from '../log.ts';
import type { Repositories, Store } from './repositories.ts';
import type { MessageRef, TeamChat } from './team-chat.ts';

/** What an erasure needs from the reply service: no reply to the person may start or finish meanwhile. */
export interface ReplyGate {
  holdForErasure<T>(mentionKeys: readonly string[], erase: () => Promise<T>): Promise<T>;
}

/** What an erasure needs from the digests: redraw those whose days held the person's activity. */
export interface DigestRedraw {
  redrawCovering(days: ReadonlySet<string>): Promise<{ redrawn: number; failed: number }>;
}

export interface ErasureSummary {
  mentions: number;
  /** Messages of the bot's about the person (mention messages, reply announcements) now "erased". */
  messagesErased: number;
  /** Those Slack would not let the bot change (deleted meanwhile, channel archived): named in the log by place only. */
  messagesNotErased: number;
  /** Digests posted earlier that named the person or quoted them, redrawn without them. */
  digestsRedrawn: number;
  digestsNotRedrawn: number;
  /** Staff messages in mention threads saved as notes about the person: a bot cannot delete a person's message. */
  threadNotes: MessageRef[];
}

/**
 * GDPR erasure ("right to be forgotten"). The contact, its identities, mentions, notes, orders and
 * likes leave every store; replies to its mentions lose their text in the outbox and the audit log,
 * which keeps only that an erasure happened and who did it. Then, in Slack, the bot's messages about
 * the person become "erased" and digests that covered their days are redrawn without them.
 */
export class ErasureService {
  constructor(
    private readonly store: Store,
    private readonly replies: ReplyGate,
    private readonly chat: TeamChat,
    private readonly digests: DigestRedraw,
    private readonly log: Log,
  ) {}

  async forget(contact: ContactRecord, actor: string): Promise<ErasureSummary> {
    // Journalled: an erasure cut short by a crash or an error is run again to the end at the next
    // start. Replies to the person are cancelled or finish first; none writes their data back after.
    const keys = await this.keysOf(contact.key);
    const erased = await this.replies.holdForErasure(keys, () =>
      this.store.atomically({ kind: 'forget', contactId: contact.key, actor }, (repositories, id) =>
        erase(repositories, contact.key, actor, id),
      ),
    );
    return this.clearSlack(erased);
  }

  /**
   * Finishes erasures a crash cut short, at start-up before anything else runs: the store part
   * now; the Slack part (messages still known, digests) in the background, as it needs Slack.
   */
  async finishInterrupted(): Promise<number> {
    let finished = 0;
    for (const { id, operation, done } of await this.store.interrupted()) {
      if (operation.kind !== 'forget') continue;
      const keys = await this.keysOf(operation.contactId);
      const erased = await this.replies.holdForErasure(keys, () => erase(this.store, operation.contactId, operation.actor, id));
      await done();
      this.log.info(`finished an erasure that was cut short (${erased.mentions} mention(s) were left to erase)`);
      void this.clearSlack(erased).catch((error: unknown) => this.log.warn('could not finish an erasure in Slack', { error }));
      finished += 1;
    }
    return finished;
  }

  /** What replies may be waiting on: the contact's mentions and private conversations. */
  private async keysOf(contactId: string): Promise<string[]> {
    const conversations = await this.store.conversations.forContact(contactId);
    return [...(await this.store.mentions.keysForContact(contactId)), ...conversations.map((conversation) => conversation.key)];
  }

  private async clearSlack(erased: ErasedData): Promise<ErasureSummary> {
    let messagesErased = 0;
    for (const message of erased.messages) {
      try {
        await this.chat.showErased(message);
        messagesErased += 1;
      } catch (error) {
        this.log.warn(`could not mark message ${message.channel}/${message.ts} as erased`, { error });
      }
    }
    const digests = await this.digests.redrawCovering(erased.days);
    return {
      mentions: erased.mentions,
      messagesErased,
      messagesNotErased: erased.messages.length - messagesErased,
      digestsRedrawn: digests.redrawn,
      digestsNotRedrawn: digests.failed,
      threadNotes: erased.threadNotes,
    };
  }
}

/** What an erasure removed from the store, and what is left to clear in Slack. */
interface ErasedData {
  messages: MessageRef[];
  mentions: number;
  threadNotes: MessageRef[];
  days: Set<string>;
}

/** Every step can run twice: a second run finishes what a first one began. The contact goes last. */
async function erase(repositories: Repositories, contactId: string, actor: string, journalId: string): Promise<ErasedData> {
  const { mentions, timeline, orders, outbox, audit, contacts, likes, triageCorrections, conversations, autoReplies } = repositories;
  const contact = (await contacts.get(contactId)) ?? { key: contactId, identities: [] };
  const messages: MessageRef[] = [];
  // The UTC days of everything the person did: the digests that covered them are redrawn.
  const days = new Set<string>();
  const keys = await mentions.keysForContact(contact.key);
  // Before the mentions go, while their keys can still be listed: a run cut short after them would
  // otherwise leave corrections that name erased posts.
  await triageCorrections.deleteForMentions(new Set(keys));
  for (const key of keys) {
    const record = await mentions.get(key);
    if (!record) continue;
    days.add(record.mention.createdAt.slice(0, 10));
    if (record.slack.ts) messages.push({ channel: record.slack.channel, ts: record.slack.ts });
    // Where a relabel moved it from: pointers that name no one, but belong to the person's mention.
    messages.push(...(record.slack.previous ?? []));
  }
  for (const like of await likes.forPerson(contact.key, contact.identities)) days.add(like.createdAt.slice(0, 10));

  // Private conversations: replies to them lose their text first (a run cut short finds the
  // conversations again), then the conversations and messages go, and their Slack thread is erased.
  const conversationKeys = new Set((await conversations.forContact(contact.key)).map((conversation) => conversation.key));
  messages.push(...(await outbox.redactForMentions(conversationKeys)));
  await audit.redactForMentions(conversationKeys);
  const privately = await conversations.deleteForContact(contact.key);
  for (const conversation of privately.conversations) {
    if (conversation.slack.ts) messages.push({ channel: conversation.slack.channel, ts: conversation.slack.ts });
  }
  for (const message of privately.messages) {
    days.add(message.sentAt.slice(0, 10));
    const parent = privately.conversations.find((conversation) => conversation.key === message.conversationKey);
    const ts = message.slack?.ts;
    if (ts && parent && ts !== parent.slack.ts) messages.push({ channel: parent.slack.channel, ts });
  }

  const erasedKeys = new Set(await mentions.deleteForContact(contact.key));
  // Staff notes typed in a mention's thread stay in Slack: their places are returned for an admin.
  const threadNotes = (await timeline.forContact(contact.key)).flatMap((entry) => {
    const [kind, channel, ts] = entry.key.split(':');
    return kind === 'note' && channel && ts ? [{ channel, ts }] : [];
  });
  await timeline.deleteForContact(contact.key);
  await orders.deleteForContact(contact.key);
  await likes.deleteForPerson(contact.key, contact.identities);
  await autoReplies.deleteForContact(contact.key);
  messages.push(...(await outbox.redactForMentions(erasedKeys)));
  await audit.redactForMentions(erasedKeys);
  await contacts.delete(contact.key);
  await audit.record({
    key: `erasure:${journalId}`,
    actor,
    action: 'erasure',
    detail: `${erasedKeys.size} mention(s), ${privately.conversations.length} private conversation(s) and the contact's notes, orders and details erased`,
  });
  return { messages, mentions: erasedKeys.size, threadNotes, days };
}
