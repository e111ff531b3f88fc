import { isPosted, type MentionRecord, type MentionWorkflow } from '../domain/records.ts';
import type { Log } from '../log.ts';
import type { Store } from './repositories.ts';
import type { TeamChat } from './team-chat.ts';

/** Changes a mention's workflow and shows it on the mention message, updated in place. */
export class MentionMessages {
  private readonly watchers: Array<(record: MentionRecord) => void> = [];

  constructor(
    private readonly store: Store,
    private readonly chat: TeamChat,
    private readonly log: Log,
  ) {}

  /** Told of every change shown (the App Home inbox keeps its lists current with it). */
  watch(watcher: (record: MentionRecord) => void): void {
    this.watchers.push(watcher);
  }

  async update(mentionKey: string, change: (workflow: MentionWorkflow) => MentionWorkflow): Promise<MentionRecord> {
    const record = await this.store.mentions.updateWorkflow(mentionKey, change);
    await this.refresh(record);
    return record;
  }

  /**
   * Mentions whose posts were just recorded: one a person changed while its post was on its way
   * (Assign pressed on a message a moment old, before its ts was written) could not be redrawn
   * then, so it is now. One read for the lot.
   */
  async redrawChangedWhilePosting(posted: readonly MentionRecord[]): Promise<void> {
    const stored = await this.store.mentions.getMany(posted.map((record) => record.key));
    for (const drawn of posted) {
      const now = stored.get(drawn.key);
      if (now && isPosted(now) && JSON.stringify(now.workflow ?? {}) !== JSON.stringify(drawn.workflow ?? {})) await this.refresh(now);
    }
  }

  /**
   * Re-renders the message from the stored record (a surge-thread message with all the mentions it
   * holds). A failure is logged: the state is saved either way.
   */
  async refresh(record: MentionRecord): Promise<void> {
    for (const watcher of this.watchers) watcher(record);
    if (!isPosted(record)) return;
    try {
      if (record.slack.batch?.length) {
        const stored = await this.store.mentions.getMany(record.slack.batch);
        const mentions = [];
        for (const key of record.slack.batch) {
          const member = key === record.key ? record : stored.get(key);
          if (member) mentions.push({ record: member, contact: await this.contactOf(member) });
        }
        await this.chat.updateMentionBatch({ channel: record.slack.channel, ts: record.slack.ts }, mentions);
        return;
      }
      await this.chat.updateMention(record, await this.contactOf(record));
    } catch (error) {
      this.log.warn(`could not update the message of ${record.key}`, { error });
    }
  }

  private async contactOf(record: MentionRecord) {
    const contact = await this.store.contacts.get(record.contactId);
    return { id: record.contactId, name: contact?.name ?? record.mention.author.name };
  }
}
