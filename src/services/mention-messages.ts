import type { Log } from '../log.ts';
import type { SlackGateway } from '../slack/slack-gateway.ts';
import { renderMentionMessage } from '../slack/views/mention-message.ts';
import type { MentionRecord, MentionWorkflow } from '../store/mention-store.ts';
import type { Store } from '../store/store.ts';

/** Changes a mention's workflow and shows it on the mention message, updated in place. */
export class MentionMessages {
  constructor(
    private readonly store: Store,
    private readonly slack: SlackGateway,
    private readonly log: Log,
  ) {}

  async update(mentionKey: string, change: (workflow: MentionWorkflow) => MentionWorkflow): Promise<MentionRecord> {
    const record = await this.store.mentions.updateWorkflow(mentionKey, change);
    await this.refresh(record);
    return record;
  }

  /** Re-renders the message from the stored record. A failure is logged: the state is saved either way. */
  async refresh(record: MentionRecord): Promise<void> {
    if (!record.slack.ts) return;
    const contact = await this.store.contacts.get(record.contactId);
    const message = renderMentionMessage(record, { id: record.contactId, name: contact?.name ?? record.mention.author.name });
    try {
      await this.slack.updateMessage({ channel: record.slack.channel, ts: record.slack.ts, text: message.text, blocks: message.blocks });
    } catch (error) {
      this.log.warn(`could not update the message of ${record.key}`, { error });
    }
  }
}
