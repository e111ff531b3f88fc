import type { KnownBlock, View } from '@slack/types';
import type { MentionRecord, SavedReply } from '../../domain/records.ts';
import { ACTION, BLOCK, VIEW } from '../ids.ts';
import { escapeMrkdwn, quote, truncate } from '../mrkdwn.ts';
import { context, section } from './blocks.ts';
import { HAS_HANDLES } from './platform-names.ts';

export interface ReplyModalInput {
  mention: Pick<MentionRecord, 'key' | 'mention'>;
  brandHandle: string;
  platformName: string;
  limit: number;
  /** How the platform counts ("links count 23"), from its text measure. */
  countingRule?: string;
  undoSeconds: number;
  savedReplies: SavedReply[];
  /** The text to show in the input (the @handle first; a saved reply once picked). */
  text: string;
  /** Changes whenever `text` is set by the bot, so Slack shows it instead of what was typed. */
  revision: number;
  /** Set when a saved reply's `{{first_name}}` was filled: what it became, and from what. */
  firstName?: { value: string; fromDisplayName: boolean };
}

export interface ReplyModalMetadata {
  mentionKey: string;
  revision: number;
}

/** Said when the post was not public: the reply keeps its audience, and a person should know. */
const AUDIENCE_NOTE: Record<string, string | undefined> = {
  unlisted: ':mute: The post is unlisted: your reply will be unlisted too.',
  followers: ":lock: The post is for the author's followers only: your reply will be followers-only too.",
  direct: ':envelope: The post is a direct message: your reply goes only to the people it mentions.',
};

/** The reply modal: the post for context, saved replies, a multi-line input and the platform's limit. */
export function renderReplyModal(input: ReplyModalInput): View {
  const { mention } = input.mention;
  const metadata: ReplyModalMetadata = { mentionKey: input.mention.key, revision: input.revision };
  const blocks: KnownBlock[] = [
    context(
      `Replying on ${input.platformName} to *${escapeMrkdwn(truncate(mention.author.name, 60))}*${HAS_HANDLES[mention.platform] ? ` (@${escapeMrkdwn(mention.author.handle)})` : ''} as *@${escapeMrkdwn(input.brandHandle)}*`,
    ),
    section(quote(mention.text, 2000)),
  ];
  const audience = AUDIENCE_NOTE[mention.visibility ?? 'public'];
  if (audience) blocks.push(context(audience));
  return replyForm(input, blocks, metadata, { label: 'Public reply', title: `Reply on ${input.platformName}` }, firstNameNote(input));
}

/** What the private reply modal shows: the conversation's customer and their latest message. */
export interface PrivateReplyModalInput extends Omit<ReplyModalInput, 'mention' | 'firstName'> {
  conversationKey: string;
  customer: { name: string; handle: string };
  lastMessage?: string;
}

/** The reply modal of a private conversation: the same form, saying the answer goes only to the customer. */
export function renderPrivateReplyModal(input: PrivateReplyModalInput): View {
  const metadata: ReplyModalMetadata = { mentionKey: input.conversationKey, revision: input.revision };
  const blocks: KnownBlock[] = [
    context(
      `:envelope: Private message on ${input.platformName} to *${escapeMrkdwn(truncate(input.customer.name, 60))}* (@${escapeMrkdwn(input.customer.handle)}) as *@${escapeMrkdwn(input.brandHandle)}*`,
    ),
    ...(input.lastMessage ? [section(quote(input.lastMessage, 2000))] : []),
    context(':lock: Only the people in this conversation see it.'),
  ];
  return replyForm(input, blocks, metadata, { label: 'Private reply', title: 'Reply privately' }, []);
}

/** The saved replies, the text input and the limit: the same for a public and a private reply. */
function replyForm(
  input: Omit<ReplyModalInput, 'mention' | 'firstName'>,
  blocks: KnownBlock[],
  metadata: ReplyModalMetadata,
  words: { label: string; title: string },
  notes: KnownBlock[],
): View {
  if (input.savedReplies.length > 0) {
    blocks.push({
      type: 'actions',
      block_id: BLOCK.savedReplies,
      elements: [
        {
          type: 'static_select',
          action_id: ACTION.pickSavedReply,
          placeholder: { type: 'plain_text', text: 'Start from a saved reply' },
          options: input.savedReplies.slice(0, 100).map((reply) => ({
            text: { type: 'plain_text', text: truncate(reply.name, 75) },
            description: { type: 'plain_text', text: truncate(reply.text, 75) },
            value: reply.name,
          })),
        },
      ],
    });
  }
  blocks.push(
    {
      type: 'input',
      block_id: replyTextBlockId(input.revision),
      label: { type: 'plain_text', text: words.label },
      element: {
        type: 'plain_text_input',
        action_id: ACTION.replyText,
        multiline: true,
        initial_value: input.text,
        focus_on_load: true,
      },
    },
    ...notes,
    context(
      `${input.platformName} allows ${input.limit} characters as it counts them${input.countingRule ? ` (${input.countingRule})` : ''}. ${
        input.undoSeconds > 0 ? `After *Send* you have ${input.undoSeconds} s to undo.` : 'It is sent at once.'
      }`,
    ),
  );
  return {
    type: 'modal',
    callback_id: VIEW.replyModal,
    private_metadata: JSON.stringify(metadata),
    title: { type: 'plain_text', text: truncate(words.title, 24) },
    submit: { type: 'plain_text', text: 'Send' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks,
  };
}

/**
 * A display name is whatever its author chose: when a saved reply's `{{first_name}}` was filled
 * from it, the form says so, with the value, so the agent reads it before it goes out publicly.
 */
function firstNameNote(input: ReplyModalInput): KnownBlock[] {
  if (!input.firstName) return [];
  const handle = escapeMrkdwn(input.mention.mention.author.handle);
  const value = escapeMrkdwn(input.firstName.value);
  return [
    context(
      input.firstName.fromDisplayName
        ? `:information_source: \`{{first_name}}\` became “${value}”, from the display name @${handle} chose. Check it reads right: it goes out publicly.`
        : `:warning: @${handle}'s display name (“${escapeMrkdwn(truncate(input.mention.mention.author.name, 60))}”) does not read as a first name, so \`{{first_name}}\` became “${value}”.`,
    ),
  ];
}

export const replyTextBlockId = (revision: number) => `${BLOCK.replyText}_${revision}`;

export function parseReplyModalMetadata(raw: string): ReplyModalMetadata | undefined {
  try {
    const parsed = JSON.parse(raw) as Partial<ReplyModalMetadata>;
    return typeof parsed.mentionKey === 'string' ? { mentionKey: parsed.mentionKey, revision: Number(parsed.revision) || 0 } : undefined;
  } catch {
    return undefined;
  }
}
