import { randomUUID } from 'node:crypto';
import { isConversationKey } from '../domain/conversations.ts';
import type { AuditEntry, ContactRecord, MentionRecord, SavedReply } from '../domain/records.ts';
import { type Label, needsAnswer } from '../domain/triage/labels.ts';
import { type PlatformId, profileUrlOf } from '../platforms/platform.ts';
import type { Repositories, Store } from './repositories.ts';

export type ContactMatch = { kind: 'one'; contact: ContactRecord } | { kind: 'many'; contacts: ContactRecord[] } | { kind: 'none' };

export interface Interaction {
  at: string;
  /** `private`: a private message, either way (shown to agents only). */
  kind: 'mention' | 'reply' | 'like' | 'note' | 'order' | 'private';
  text: string;
  by?: string;
  url?: string;
  label?: Label;
}

export interface ContactProfile {
  contact: ContactRecord;
  mentions: number;
  repliesReceived: number;
  likesReceived: number;
  notes: number;
  lastContactAt?: string;
  /** Average sentiment of the latest five mentions, and of the five before them. */
  sentiment: { recent?: number; before?: number };
  /** Median minutes from a mention to the team's first reply. */
  medianFirstResponseMinutes?: number;
  openQuestions: MentionRecord[];
  latest: Interaction[];
  orders: { count: number; totals: Record<string, number> };
  /** Private conversations: how many, how many open (agents only see this). */
  privateConversations: { count: number; open: number };
}

/** A best hit this far ahead of the next counts as the one meant. */
const CLEAR_LEAD = 0.05;
const CARD_INTERACTIONS = 5;

/** The CRM's use cases: find a contact, build their card, note, link, tag, merge, export; saved replies; the audit. */
export class Crm {
  constructor(private readonly store: Store) {}

  /** Resolves what a person typed (name, @handle, email, contact ID) to one contact, several, or none. */
  async resolve(reference: string): Promise<ContactMatch> {
    const cleaned = reference.trim().replace(/^"(.*)"$/, '$1');
    if (!cleaned) return { kind: 'none' };
    const byId = await this.store.contacts.get(cleaned);
    if (byId) return { kind: 'one', contact: byId };
    const hits = await this.store.contacts.find(cleaned, 6);
    const first = hits[0];
    if (!first) return { kind: 'none' };
    const second = hits[1];
    if (first.isExact || !second || first.score - second.score >= CLEAR_LEAD) {
      const contact = await this.store.contacts.get(first.id);
      return contact ? { kind: 'one', contact } : { kind: 'none' };
    }
    const contacts = (await Promise.all(hits.map((hit) => this.store.contacts.get(hit.id)))).filter((c): c is ContactRecord => Boolean(c));
    return { kind: 'many', contacts };
  }

  async profile(contact: ContactRecord): Promise<ContactProfile> {
    const { mentions, timeline } = this.store;
    const records = (await Promise.all((await mentions.keysForContact(contact.key)).map((key) => mentions.get(key)))).filter(
      (record): record is MentionRecord => Boolean(record),
    );
    records.sort((a, b) => (a.mention.createdAt < b.mention.createdAt ? 1 : -1)); // newest first
    const notes = await timeline.forContact(contact.key);

    const interactions: Interaction[] = [];
    const firstResponses: number[] = [];
    let repliesReceived = 0;
    let likesReceived = 0;
    for (const record of records) {
      interactions.push({
        at: record.mention.createdAt,
        kind: 'mention',
        text: record.mention.text,
        url: record.mention.url,
        label: record.classification.label,
      });
      const replies = record.workflow?.replies ?? [];
      repliesReceived += replies.length;
      for (const reply of replies)
        interactions.push({ at: reply.at, kind: 'reply', text: 'Reply published', by: reply.by, url: reply.url });
      const firstReply = replies[0];
      if (firstReply?.at) firstResponses.push((Date.parse(firstReply.at) - Date.parse(record.mention.createdAt)) / 60_000);
      if (record.workflow?.liked) {
        likesReceived++;
        interactions.push({ at: record.workflow.liked.at, kind: 'like', text: 'Liked', by: record.workflow.liked.by });
      }
    }
    for (const note of notes) interactions.push({ at: note.at, kind: 'note', text: note.text, by: note.by });
    const conversations = await this.store.conversations.forContact(contact.key);
    for (const conversation of conversations) {
      for (const message of await this.store.conversations.messagesOf(conversation.key)) {
        interactions.push({
          at: message.sentAt,
          kind: 'private',
          text: `${message.direction === 'in' ? 'from them' : 'from us'}: ${message.text}`,
          by: message.sentBy,
        });
      }
    }
    interactions.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));

    const orders = await this.store.orders.forContact(contact.key);
    const totals: Record<string, number> = {};
    for (const order of orders) {
      totals[order.currency] = (totals[order.currency] ?? 0) + order.totalCents;
      interactions.push({
        at: order.createdAt,
        kind: 'order',
        text: `Order ${order.externalId}: ${(order.totalCents / 100).toFixed(2)} ${order.currency} (${order.status})`,
      });
    }
    interactions.sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : 0));
    const sentiments = records.map((record) => record.classification.sentiment.score);
    return {
      contact,
      mentions: records.length,
      repliesReceived,
      likesReceived,
      notes: notes.length,
      lastContactAt: records[0]?.mention.createdAt,
      sentiment: { recent: average(sentiments.slice(0, 5)), before: average(sentiments.slice(5, 10)) },
      medianFirstResponseMinutes: median(firstResponses),
      openQuestions: records.filter(
        (record) => needsAnswer(record.classification.label) && !record.workflow?.resolved && (record.workflow?.replies?.length ?? 0) === 0,
      ),
      latest: interactions.slice(0, CARD_INTERACTIONS),
      orders: { count: orders.length, totals },
      privateConversations: {
        count: conversations.length,
        open: conversations.filter((conversation) => conversation.status === 'open').length,
      },
    };
  }

  async addNote(contact: ContactRecord, text: string, by: string, sourceKey: string): Promise<void> {
    await this.store.timeline.add({ key: sourceKey, contactId: contact.key, kind: 'note', text, by, at: new Date().toISOString() });
  }

  /**
   * A staff message in a mention's thread, kept as a note on the mention's contact. `sourceKey`
   * names the Slack message, so a retried event stores it once. Returns the contact, when new.
   */
  async addThreadNote(mentionKey: string, note: { sourceKey: string; text: string; by: string }): Promise<string | undefined> {
    // A mention's thread, or a private conversation's (its key names it): the note goes to its contact.
    const about = isConversationKey(mentionKey)
      ? await this.store.conversations.get(mentionKey)
      : await this.store.mentions.get(mentionKey);
    if (!about) return undefined;
    const isNew = await this.store.timeline.add({
      key: note.sourceKey,
      contactId: about.contactId,
      kind: 'note',
      text: note.text,
      by: note.by,
      at: new Date().toISOString(),
      mentionKey,
    });
    return isNew ? about.contactId : undefined;
  }

  contact(id: string): Promise<ContactRecord | undefined> {
    return this.store.contacts.get(id);
  }

  /** Contacts for a type-ahead: best matches first. */
  async search(query: string, limit: number): Promise<ContactRecord[]> {
    const hits = await this.store.contacts.find(query, limit);
    return (await Promise.all(hits.map((hit) => this.store.contacts.get(hit.id)))).filter((contact) => contact !== undefined);
  }

  /** How many mentions an erasure of this contact would remove. */
  async mentionCount(contact: ContactRecord): Promise<number> {
    return (await this.store.mentions.keysForContact(contact.key)).length;
  }

  savedReplies(): Promise<SavedReply[]> {
    return this.store.savedReplies.list();
  }

  savedReply(name: string): Promise<SavedReply | undefined> {
    return this.store.savedReplies.find(name);
  }

  /** Adds or replaces a saved reply; true when one of that name was replaced. */
  saveReply(reply: SavedReply): Promise<boolean> {
    return this.store.savedReplies.upsert(reply);
  }

  removeSavedReply(name: string): Promise<boolean> {
    return this.store.savedReplies.remove(name);
  }

  latestAudit(count: number): Promise<AuditEntry[]> {
    return this.store.audit.latest(count);
  }

  /** Adds a tag to the contact as stored now (a concurrent change to it is kept). */
  async addTag(contact: ContactRecord, tag: string): Promise<ContactRecord> {
    const updated = await this.store.contacts.update(contact.key, (current) => ({
      ...current,
      tags: [...new Set([...(current.tags ?? []), tag.toLowerCase()])],
      updatedAt: new Date().toISOString(),
    }));
    if (!updated) throw new Error(`addTag: contact ${contact.key} is gone`);
    return updated;
  }

  /**
   * Merges `source` into `target`: identities, emails, tags and fields combined (the target's values
   * win where both have one), mentions, notes, orders and likes moved over; then `source` is
   * removed. All or nothing (`Store.atomically`): on files, a merge cut short by a crash or an error
   * is run again to the end at the next start (`finishInterrupted`), so every step can run twice.
   */
  async merge(target: ContactRecord, source: ContactRecord): Promise<ContactRecord> {
    if (target.key === source.key) return target;
    return this.store.atomically({ kind: 'merge', targetId: target.key, sourceId: source.key }, (repositories) =>
      applyMerge(repositories, target.key, source.key),
    );
  }

  /** Finishes merges a crash cut short (start-up). Returns how many. */
  async finishInterrupted(): Promise<number> {
    let finished = 0;
    for (const { operation, done } of await this.store.interrupted()) {
      if (operation.kind !== 'merge') continue;
      await applyMerge(this.store, operation.targetId, operation.sourceId);
      await done();
      finished += 1;
    }
    return finished;
  }

  /**
   * The Link contact button: this mention's author belongs to `target`. The author's identity and
   * their mentions move over; a contact left with nothing (the one made automatically) is removed.
   */
  async linkAuthor(mentionKey: string, target: ContactRecord): Promise<ContactRecord> {
    const mention = await this.store.mentions.get(mentionKey);
    if (!mention) throw new Error(`no mention ${mentionKey}`);
    const current = await this.store.contacts.get(mention.contactId);
    if (!current || current.key === target.key) return target;
    const { platform, author } = { platform: mention.mention.platform, author: mention.mention.author };
    const moving = current.identities.filter((identity) => identity.platform === platform && identity.userId === author.id);
    const keepsSomething = current.identities.length > moving.length || current.emails?.length || current.company || current.tags?.length;
    if (!keepsSomething) return this.merge(target, current);
    const now = new Date().toISOString();
    const updated = await this.store.contacts.update(target.key, (current) => ({
      ...current,
      identities: [...current.identities, ...moving],
      updatedAt: now,
    }));
    if (!updated) throw new Error(`linkAuthor: contact ${target.key} is gone`);
    const authorsMentions = new Set<string>();
    for (const key of await this.store.mentions.keysForContact(current.key)) {
      const record = await this.store.mentions.get(key);
      if (record?.mention.platform === platform && record.mention.author.id === author.id) authorsMentions.add(key);
    }
    await this.store.mentions.reassignContact(current.key, target.key, authorsMentions);
    const movingIds = new Set(moving.map((identity) => identity.userId));
    await this.store.contacts.update(current.key, (now) => ({
      ...now,
      identities: now.identities.filter((i) => !(i.platform === platform && movingIds.has(i.userId))),
      updatedAt: updated.updatedAt,
    }));
    return updated;
  }

  /**
   * Link contact on a private conversation: its customer is `target`. Their identity, and every
   * conversation of the contact made for them automatically, move over; that contact goes when it
   * is left with nothing.
   */
  async linkConversation(conversationKey: string, target: ContactRecord): Promise<ContactRecord> {
    const conversation = await this.store.conversations.get(conversationKey);
    if (!conversation) throw new Error(`no conversation ${conversationKey}`);
    const current = await this.store.contacts.get(conversation.contactId);
    if (!current || current.key === target.key) return target;
    const customer = conversation.participants[0];
    const moving = current.identities.filter((identity) => identity.platform === conversation.platform && identity.userId === customer?.id);
    const keepsSomething = current.identities.length > moving.length || current.emails?.length || current.company || current.tags?.length;
    if (!keepsSomething) return this.merge(target, current);
    const now = new Date().toISOString();
    const updated = await this.store.contacts.update(target.key, (contact) => ({
      ...contact,
      identities: [...contact.identities, ...moving],
      updatedAt: now,
    }));
    if (!updated) throw new Error(`linkConversation: contact ${target.key} is gone`);
    await this.store.conversations.upsert(conversationKey, (stored) => (stored ? { ...stored, contactId: target.key } : undefined));
    const movingIds = new Set(moving.map((identity) => identity.userId));
    await this.store.contacts.update(current.key, (contact) => ({
      ...contact,
      identities: contact.identities.filter((i) => !(i.platform === conversation.platform && movingIds.has(i.userId))),
      updatedAt: now,
    }));
    return updated;
  }

  /**
   * GDPR access: everything Switchboard holds about a contact, as one JSON-ready object: the
   * contact, their posts with labels and workflow, the replies written to them (texts included)
   * and their outcome, staff notes, orders, their likes of the brand's posts, and the audit entries
   * about their posts.
   */
  async exportData(contact: ContactRecord): Promise<Record<string, unknown>> {
    const mentionKeys = new Set(await this.store.mentions.keysForContact(contact.key));
    const mentions = [];
    for (const key of mentionKeys) {
      const record = await this.store.mentions.get(key);
      if (record) mentions.push({ post: record.mention, label: record.classification, workflow: record.workflow ?? {} });
    }
    const replies = (await this.store.outbox.forMentions(mentionKeys)).map((reply) => ({
      to: reply.inReplyTo,
      text: reply.text,
      state: reply.state,
      requestedAt: reply.requestedAt,
      sentAt: reply.sent?.at,
      url: reply.sent?.url,
    }));
    const conversations = [];
    for (const conversation of await this.store.conversations.forContact(contact.key)) {
      const messages = await this.store.conversations.messagesOf(conversation.key);
      conversations.push({
        network: conversation.platform,
        conversationId: conversation.conversationId,
        participants: conversation.participants,
        status: conversation.status,
        messages: messages.map((message) => ({ direction: message.direction, text: message.text, sentAt: message.sentAt })),
      });
    }
    return {
      exportedAt: new Date().toISOString(),
      contact,
      mentions,
      replies,
      privateConversations: conversations,
      notes: await this.store.timeline.forContact(contact.key),
      orders: await this.store.orders.forContact(contact.key),
      likesOfOurPosts: await this.store.likes.forPerson(contact.key, contact.identities),
      automaticReplyDecisions: await this.store.autoReplies.forContact(contact.key),
      audit: await this.store.audit.forMentions(mentionKeys),
    };
  }

  async createContact(name: string): Promise<ContactRecord> {
    const now = new Date().toISOString();
    const contact: ContactRecord = { key: randomUUID(), name, identities: [], createdAt: now, updatedAt: now };
    await this.store.contacts.save(contact);
    return contact;
  }

  /**
   * Links a handle to a contact. A handle already on another contact moves over (its author is the
   * person the agent says it is); the user ID is learnt at their next mention.
   */
  async linkHandle(
    platform: PlatformId,
    handle: string,
    contact: ContactRecord,
  ): Promise<{ contact: ContactRecord; movedFrom?: ContactRecord }> {
    const clean = handle.replace(/^@/, '');
    const previous = await this.store.contacts.findByAuthor(platform, { id: '', handle: clean });
    const now = new Date().toISOString();
    let movedFrom: ContactRecord | undefined;
    let identity = { platform, userId: '', handle: clean, profileUrl: profileUrlOf(platform, clean) };
    if (previous?.key === contact.key) return { contact };
    if (previous) {
      movedFrom = await this.store.contacts.update(previous.key, (current) => {
        const moving = current.identities.find((i) => i.platform === platform && i.handle.toLowerCase() === clean.toLowerCase());
        if (moving) identity = moving;
        return { ...current, identities: current.identities.filter((i) => i !== moving), updatedAt: now };
      });
    }
    const updated = await this.store.contacts.update(contact.key, (current) => ({
      ...current,
      identities: [...current.identities, identity],
      updatedAt: now,
    }));
    if (!updated) throw new Error(`linkHandle: contact ${contact.key} is gone`);
    return { contact: updated, movedFrom };
  }
}

/** Merges from what is stored now, so a second run finishes what the first began. */
async function applyMerge(repositories: Repositories, targetId: string, sourceId: string): Promise<ContactRecord> {
  const target = await repositories.contacts.get(targetId);
  const source = await repositories.contacts.get(sourceId);
  if (!target) throw new Error(`merge: contact ${targetId} is gone`);
  if (!source) return target; // the source is removed last: the merge had finished
  const merged: ContactRecord = {
    ...target,
    identities: [
      ...target.identities,
      ...source.identities.filter(
        (identity) =>
          !target.identities.some(
            (own) => own.platform === identity.platform && own.handle.toLowerCase() === identity.handle.toLowerCase(),
          ),
      ),
    ],
    emails: union(target.emails, source.emails),
    tags: union(target.tags, source.tags),
    phone: target.phone ?? source.phone,
    company: target.company ?? source.company,
    fields: { ...source.fields, ...target.fields },
    createdAt: target.createdAt < source.createdAt ? target.createdAt : source.createdAt,
    updatedAt: new Date().toISOString(),
  };
  // The merged contact is saved first: if this stops half-way, both still hold everything.
  await repositories.contacts.save(merged);
  await repositories.mentions.reassignContact(source.key, target.key);
  await repositories.conversations.reassignContact(source.key, target.key);
  await repositories.timeline.reassign(source.key, target.key);
  await repositories.orders.reassign(source.key, target.key);
  await repositories.likes.reassign(source.key, target.key);
  // The guardrails count automatic replies per person: a merged person keeps their recent ones.
  await repositories.autoReplies.reassignContact(source.key, target.key);
  await repositories.contacts.delete(source.key);
  return merged;
}

/** Values of both, the first's first, without repeats (case-insensitive). */
function union(a: string[] | undefined, b: string[] | undefined): string[] {
  const seen = new Set<string>();
  return [...(a ?? []), ...(b ?? [])].filter((value) => {
    const key = value.toLowerCase();
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function average(values: number[]): number | undefined {
  return values.length === 0 ? undefined : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}
