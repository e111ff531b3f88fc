import type { KnownBlock } from '@slack/types';
import type { ConversationRecord, DirectMessageRecord } from '../../domain/conversations.ts';
import type { ConversationContext } from '../../services/team-chat.ts';
import { ACTION, BLOCK, CONVERSATION_METADATA_EVENT, DIRECT_MESSAGE_METADATA_EVENT } from '../ids.ts';
import { escapeMrkdwn, link, quote, truncate } from '../mrkdwn.ts';
import { context, section, slackDate } from './blocks.ts';
import { HAS_HANDLES, PLATFORM_ICON, PLATFORM_NAME } from './platform-names.ts';

export interface ConversationMessage {
  text: string;
  blocks: KnownBlock[];
  metadata: { event_type: string; event_payload: { key: string } };
}

/**
 * The parent message of a private conversation's thread: who, on which network, the linked contact,
 * the opening message, where it stands (open or resolved, reopened, waiting since, owner, last
 * message) and the four buttons. Pure; the metadata carries the conversation's key.
 */
export function renderConversationMessage(conversation: ConversationRecord, shown: ConversationContext): ConversationMessage {
  const customer = conversation.participants[0];
  const network = PLATFORM_NAME[conversation.platform];
  const who = customer
    ? `*${escapeMrkdwn(truncate(customer.name, 80))}*${HAS_HANDLES[conversation.platform] ? ` ${link(customer.profileUrl, `@${truncate(customer.handle, 60)}`)}` : ''}`
    : '*Someone*';
  const others = conversation.participants.length > 1 ? ` and ${conversation.participants.length - 1} other(s)` : '';
  const request = conversation.isRequest ? '  ·  :incoming_envelope: message request (not accepted yet)' : '';
  const contact = shown.contact;
  const contactLine = [
    `:bust_in_silhouette: Contact: *${escapeMrkdwn(truncate(contact.name, 80))}*`,
    contact.company ? escapeMrkdwn(truncate(contact.company, 60)) : undefined,
    contact.tags?.length ? contact.tags.map((tag) => `\`${escapeMrkdwn(truncate(tag, 30))}\``).join(' ') : undefined,
  ]
    .filter(Boolean)
    .join('  ·  ');
  const state: string[] = [];
  if (conversation.status === 'resolved') {
    state.push(`:white_check_mark: Resolved${conversation.resolved ? ` by <@${conversation.resolved.by}>` : ''}`);
  } else {
    state.push(':large_green_circle: Open');
    if (conversation.reopenedAt) state.push(`:arrows_counterclockwise: Reopened ${slackDate(conversation.reopenedAt)}`);
    if (conversation.awaitingSince)
      state.push(`:hourglass_flowing_sand: Waiting for an answer since ${slackDate(conversation.awaitingSince)}`);
  }
  state.push(conversation.assignee ? `:raising_hand: Owned by <@${conversation.assignee}>` : 'Nobody owns it yet');
  state.push(`Last message ${slackDate(conversation.lastMessageAt)}`);
  return {
    // The notification shows no message text: only who wrote, on which network.
    text: `Private message from ${HAS_HANDLES[conversation.platform] ? '@' : ''}${escapeMrkdwn(truncate((HAS_HANDLES[conversation.platform] ? customer?.handle : customer?.name) ?? 'someone', 60))} on ${network}`,
    metadata: { event_type: CONVERSATION_METADATA_EVENT, event_payload: { key: conversation.key } },
    blocks: [
      section(`:envelope: ${who}${others} on ${PLATFORM_ICON[conversation.platform]} ${network}  ·  private conversation${request}`),
      ...(shown.opening ? [section(quote(shown.opening.text)), context(`Opened ${slackDate(shown.opening.sentAt)}`)] : []),
      context(contactLine),
      context(state.join('  ·  ')),
      {
        type: 'actions',
        block_id: BLOCK.conversationActions,
        elements: [
          {
            type: 'button',
            action_id: ACTION.conversationReply,
            text: { type: 'plain_text', text: 'Reply' },
            style: 'primary',
            value: conversation.key,
          },
          {
            type: 'button',
            action_id: ACTION.conversationAssign,
            text: { type: 'plain_text', text: 'Assign to me' },
            value: conversation.key,
          },
          {
            type: 'button',
            action_id: ACTION.conversationResolve,
            text: { type: 'plain_text', text: conversation.status === 'resolved' ? 'Reopen' : 'Resolve' },
            value: conversation.key,
          },
          {
            type: 'button',
            action_id: ACTION.conversationLinkContact,
            text: { type: 'plain_text', text: 'Link contact' },
            value: conversation.key,
          },
        ],
      },
    ],
  };
}

/** A later customer message, posted into the conversation's thread (saying so when it reopened the conversation). */
export function renderDirectMessage(message: DirectMessageRecord, shown: { reopened: boolean }): ConversationMessage {
  return {
    text: `New private message from ${HAS_HANDLES[message.platform] ? `@${escapeMrkdwn(truncate(message.author.handle, 60))}` : escapeMrkdwn(truncate(message.author.name, 60))}`,
    metadata: { event_type: DIRECT_MESSAGE_METADATA_EVENT, event_payload: { key: message.key } },
    blocks: [
      ...(shown.reopened ? [context(':arrows_counterclockwise: *Reopened*: a new message after the conversation was resolved.')] : []),
      section(
        `*${escapeMrkdwn(truncate(message.author.name, 80))}*${HAS_HANDLES[message.platform] ? ` (@${escapeMrkdwn(truncate(message.author.handle, 60))})` : ''}`,
      ),
      section(quote(message.text)),
      context(slackDate(message.sentAt)),
    ],
  };
}
