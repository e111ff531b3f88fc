import type { App } from '@slack/bolt';
import { parseThreadMessage } from '../../domain/reply-text.ts';
import { CONVERSATION_METADATA_EVENT, MENTION_METADATA_EVENT } from '../ids.ts';
import type { ListenerContext } from './context.ts';

interface ThreadMessageEvent {
  type: 'message';
  subtype?: string;
  channel: string;
  user?: string;
  bot_id?: string;
  text?: string;
  ts: string;
  thread_ts?: string;
}

/** Thread parents already resolved to a mention key (or to none): one history read per thread. */
const PARENT_CACHE_SIZE = 2000;

/**
 * Messages in the thread of a mention message. `reply:` (any case) sends publicly; anything else a
 * person writes is an internal note on the contact's timeline and is never published.
 * Ignored on purpose: bots (our own announcements included: no reply loops), edits, deletions and
 * every other subtype, and messages outside mention threads.
 */
export function registerThreadMessages(app: App, context: ListenerContext): void {
  const { crm, slack, replies, log } = context;
  const parents = new Map<string, string | null>();

  const mentionKeyOfThread = async (channel: string, threadTs: string): Promise<string | undefined> => {
    const cacheKey = `${channel}:${threadTs}`;
    if (parents.has(cacheKey)) return parents.get(cacheKey) ?? undefined;
    const metadata = await slack.messageMetadata(channel, threadTs);
    // A mention's thread, or a private conversation's: `reply:` answers in kind (publicly, or privately).
    const isThread = metadata?.event_type === MENTION_METADATA_EVENT || metadata?.event_type === CONVERSATION_METADATA_EVENT;
    const key = isThread && typeof metadata?.key === 'string' ? metadata.key : null;
    parents.set(cacheKey, key);
    if (parents.size > PARENT_CACHE_SIZE) parents.delete(parents.keys().next().value ?? '');
    return key ?? undefined;
  };

  app.event('message', async ({ event }) => {
    const message = event as unknown as ThreadMessageEvent;
    if (message.subtype !== undefined || message.bot_id || !message.user) return;
    if (!message.thread_ts || message.thread_ts === message.ts) return;
    const mentionKey = await mentionKeyOfThread(message.channel, message.thread_ts);
    if (!mentionKey) return;

    const command = parseThreadMessage(message.text ?? '');
    const tell = (text: string) =>
      slack.postEphemeral({ channel: message.channel, user: message.user ?? '', threadTs: message.thread_ts, text });

    if (command.kind === 'reply') {
      // The message's own ts is the request key: Slack's retries of this event send nothing new.
      const outcome = await replies.request({
        requestKey: `thread:${message.channel}:${message.ts}`,
        mentionKey,
        text: command.text,
        userId: message.user,
      });
      if (outcome.kind === 'invalid' || outcome.kind === 'refused' || outcome.kind === 'busy') await tell(`${outcome.message}`);
      return;
    }

    if (!command.text) return;
    const contactId = await crm.addThreadNote(mentionKey, {
      sourceKey: `note:${message.channel}:${message.ts}`,
      text: command.text,
      by: message.user,
    });
    if (contactId) log.info(`note by ${message.user} saved on contact ${contactId}`);
  });
}
