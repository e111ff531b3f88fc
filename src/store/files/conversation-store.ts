import path from 'node:path';
import type { Low } from 'lowdb';
import type { ConversationRecord, DirectMessageRecord } from '../../domain/conversations.ts';
import type { ConversationRepository } from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { erasureHash, isConversationRecord, isDirectMessageRecord, PERSONAL } from '../record-shapes.ts';
import { type CollectionCopy, type TombstoneRow, toAsync } from '../store-copy.ts';
import { isObject, openJsonFile } from './json-file.ts';
import { type Sealable, SegmentedCollection } from './segmented-collection.ts';

interface ErasedData {
  erased: Record<string, string>;
}
const isErasedData = (data: unknown): data is ErasedData => isObject(data) && isObject(data.erased);

/**
 * Private conversations in `conversations/` and their messages in `direct-messages/` (segmented by
 * day like the mentions, personal fields sealed), with in-memory indexes by contact and by
 * conversation built from the segments' small index files. Erased conversations are kept in
 * `erased-conversations.json` by a hash of their key and the time only.
 */
export class ConversationStore implements ConversationRepository {
  private conversations!: SegmentedCollection<ConversationRecord, 'participants', 'contactId'>;
  private messages!: SegmentedCollection<DirectMessageRecord, 'text' | 'author', 'conversationKey' | 'contactId'>;
  private erased!: Low<ErasedData>;
  private readonly conversationsByContact = new Map<string, Set<string>>();
  /** Each conversation's contact, so a move updates one entry of the index above. */
  private readonly contactOf = new Map<string, string>();
  private readonly messagesByConversation = new Map<string, Set<string>>();
  private readonly messagesByContact = new Map<string, Set<string>>();

  static async open(dataDir: string, options: { cipher?: PiiCipher } = {}): Promise<ConversationStore> {
    const store = new ConversationStore();
    store.conversations = await SegmentedCollection.open<ConversationRecord, 'participants', 'contactId'>(
      path.join(dataDir, 'conversations'),
      {
        partitionOf: (conversation) => conversation.slack.attemptedAt.slice(0, 10),
        isRecord: isConversationRecord,
        onOpenPlain: (conversation) => store.indexConversation(conversation),
        indexFields: ['contactId'],
        personal: PERSONAL.conversations,
        cipher: options.cipher,
      },
    );
    store.messages = await SegmentedCollection.open<DirectMessageRecord, 'text' | 'author', 'conversationKey' | 'contactId'>(
      path.join(dataDir, 'direct-messages'),
      {
        partitionOf: (message) => message.sentAt.slice(0, 10),
        isRecord: isDirectMessageRecord,
        onOpenPlain: (message) => store.indexMessage(message),
        indexFields: ['conversationKey', 'contactId'],
        personal: PERSONAL.directMessages,
        cipher: options.cipher,
      },
    );
    store.erased = await openJsonFile(path.join(dataDir, 'erased-conversations.json'), { erased: {} }, isErasedData);
    return store;
  }

  get sealable(): { conversations: Sealable; directMessages: Sealable } {
    return { conversations: this.conversations, directMessages: this.messages };
  }

  get copy(): { conversations: CollectionCopy; directMessages: CollectionCopy; erasedConversations: CollectionCopy<TombstoneRow> } {
    const conversations = this.conversations.copier();
    const messages = this.messages.copier();
    return {
      conversations: {
        ...conversations,
        write: async (records) => {
          await conversations.write(records);
          for (const record of records) if (isConversationRecord(record)) this.indexConversation(record);
        },
      },
      directMessages: {
        ...messages,
        write: async (records) => {
          await messages.write(records);
          for (const record of records) if (isDirectMessageRecord(record)) this.indexMessage(record);
        },
      },
      erasedConversations: {
        count: async () => Object.keys(this.erased.data.erased).length,
        read: () => toAsync(Object.entries(this.erased.data.erased).map(([hash, at]) => ({ hash, at }))),
        write: async (rows) => {
          for (const row of rows) this.erased.data.erased[row.hash] = row.at;
          await this.erased.write();
        },
      },
    };
  }

  get(key: string): Promise<ConversationRecord | undefined> {
    return this.conversations.get(key);
  }

  async upsert(
    key: string,
    change: (current: ConversationRecord | undefined) => ConversationRecord | undefined,
  ): Promise<ConversationRecord | undefined> {
    let unchanged: ConversationRecord | undefined;
    const [written] = await this.conversations.upsertMany([key], (_key, current) => {
      const next = change(current);
      if (!next) unchanged = current;
      return next;
    });
    if (written) {
      // A merge or a Link contact may have moved it to another contact: the index follows.
      const before = this.contactOf.get(key);
      if (before !== undefined && before !== written.contactId) this.conversationsByContact.get(before)?.delete(key);
      this.indexConversation(written);
    }
    return written ?? unchanged;
  }

  async upsertMany(
    keys: readonly string[],
    change: (key: string, current: ConversationRecord | undefined) => ConversationRecord | undefined,
  ): Promise<ConversationRecord[]> {
    const written = await this.conversations.upsertMany(keys, change);
    for (const conversation of written) {
      const before = this.contactOf.get(conversation.key);
      if (before !== undefined && before !== conversation.contactId) this.conversationsByContact.get(before)?.delete(conversation.key);
      this.indexConversation(conversation);
    }
    return written;
  }

  async addMessages(messages: readonly DirectMessageRecord[]): Promise<DirectMessageRecord[]> {
    const byKey = new Map(messages.map((message) => [message.key, message]));
    const written = await this.messages.upsertMany([...byKey.keys()], (key, current) => (current ? undefined : byKey.get(key)));
    for (const message of written) this.indexMessage(message);
    return written;
  }

  async recordMessagesPosted(posted: ReadonlyArray<{ key: string; ts: string }>): Promise<number> {
    const tsOf = new Map(posted.map((entry) => [entry.key, entry.ts]));
    const written = await this.messages.upsertMany(
      [...tsOf.keys()].filter((key) => this.messages.has(key)),
      (key, current) => {
        const ts = tsOf.get(key);
        // Only an attempt (a customer's message written down before its post) is completed.
        if (!current?.slack || !ts || current.slack.ts) return undefined;
        return { ...current, slack: { ...current.slack, ts } };
      },
    );
    return written.length;
  }

  async forContact(contactId: string): Promise<ConversationRecord[]> {
    const found: ConversationRecord[] = [];
    for (const key of this.conversationsByContact.get(contactId) ?? []) {
      const conversation = await this.conversations.get(key);
      if (conversation) found.push(conversation);
    }
    return found.sort((a, b) => (a.lastMessageAt < b.lastMessageAt ? 1 : -1));
  }

  async *all(): AsyncIterable<ConversationRecord> {
    for (const partition of this.conversations.partitions()) yield* this.conversations.readPartition(partition);
  }

  async getMessages(keys: readonly string[]): Promise<Map<string, DirectMessageRecord>> {
    const found = new Map<string, DirectMessageRecord>();
    for (const key of keys) {
      if (!this.messages.has(key)) continue;
      const message = await this.messages.get(key);
      if (message) found.set(key, message);
    }
    return found;
  }

  async addMessage(message: DirectMessageRecord): Promise<{ message: DirectMessageRecord; isNew: boolean }> {
    let existing: DirectMessageRecord | undefined;
    const [written] = await this.messages.upsertMany([message.key], (_key, current) => {
      existing = current;
      return current ? undefined : message;
    });
    if (written) this.indexMessage(written);
    return written ? { message: written, isNew: true } : { message: existing ?? message, isNew: false };
  }

  async messagesOf(conversationKey: string): Promise<DirectMessageRecord[]> {
    const found = await this.getMessages([...(this.messagesByConversation.get(conversationKey) ?? [])]);
    return [...found.values()].sort((a, b) => (a.sentAt < b.sentAt ? -1 : a.sentAt > b.sentAt ? 1 : 0));
  }

  async *readMessagesDay(day: string): AsyncIterable<DirectMessageRecord> {
    yield* this.messages.readPartition(day);
  }

  async reassignContact(from: string, to: string): Promise<void> {
    for (const key of [...(this.conversationsByContact.get(from) ?? [])]) {
      await this.upsert(key, (current) => (current ? { ...current, contactId: to } : undefined));
    }
    for (const key of [...(this.messagesByContact.get(from) ?? [])]) {
      await this.messages.update(key, (message) => ({ ...message, contactId: to }));
      addTo(this.messagesByContact, to, key);
    }
    this.conversationsByContact.delete(from);
    this.messagesByContact.delete(from);
  }

  async deleteForContact(contactId: string): Promise<{ conversations: ConversationRecord[]; messages: DirectMessageRecord[] }> {
    const conversations = await this.forContact(contactId);
    const messageKeys = new Set(this.messagesByContact.get(contactId) ?? []);
    for (const conversation of conversations)
      for (const key of this.messagesByConversation.get(conversation.key) ?? []) messageKeys.add(key);
    const messages = [...(await this.getMessages([...messageKeys])).values()];
    const at = new Date().toISOString();
    // The tombstones first: a crash midway leaves the rest to the erasure's re-run, never a window
    // in which a re-read could store a message again.
    for (const conversation of conversations) this.erased.data.erased[erasureHash(conversation.key)] = at;
    if (conversations.length) await this.erased.write();
    for (const message of messages) {
      await this.messages.delete(message.key);
      this.messagesByConversation.get(message.conversationKey)?.delete(message.key);
    }
    for (const conversation of conversations) {
      await this.conversations.delete(conversation.key);
      this.messagesByConversation.delete(conversation.key);
      this.contactOf.delete(conversation.key);
    }
    this.conversationsByContact.delete(contactId);
    this.messagesByContact.delete(contactId);
    return { conversations, messages };
  }

  async erasedAt(conversationKey: string): Promise<string | undefined> {
    return this.erased.data.erased[erasureHash(conversationKey)];
  }

  private indexConversation(conversation: Pick<ConversationRecord, 'key' | 'contactId'>): void {
    addTo(this.conversationsByContact, conversation.contactId, conversation.key);
    this.contactOf.set(conversation.key, conversation.contactId);
  }

  private indexMessage(message: Pick<DirectMessageRecord, 'key' | 'conversationKey' | 'contactId'>): void {
    addTo(this.messagesByConversation, message.conversationKey, message.key);
    addTo(this.messagesByContact, message.contactId, message.key);
  }
}

function addTo(index: Map<string, Set<string>>, key: string, value: string): void {
  const values = index.get(key) ?? new Set<string>();
  values.add(value);
  index.set(key, values);
}
