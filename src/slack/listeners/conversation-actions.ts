import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import type { View } from '@slack/types';
import type { ConversationRecord } from '../../domain/conversations.ts';
import type { Platform } from '../../platforms/platform.ts';
import { ACTION } from '../ids.ts';
import { renderLinkContactModal } from '../views/link-contact-modal.ts';
import { renderPrivateReplyModal } from '../views/reply-modal.ts';
import type { ListenerContext } from './context.ts';
import { replyFormBasics } from './reply-modal.ts';

/**
 * The buttons of a private conversation's parent message: Reply (a private modal), Assign to me,
 * Resolve or Reopen, Link contact. Each acks at once; what only the presser needs comes back as a
 * message only they see.
 */
export function registerConversationActions(app: App, context: ListenerContext): void {
  const { slack, conversations, crm } = context;
  const answer = async (args: { body: BlockAction }, text: string | undefined) => {
    const channel = args.body.channel?.id;
    if (!text || !channel) return;
    await slack.postEphemeral({ channel, user: args.body.user.id, text, threadTs: args.body.message?.thread_ts });
  };

  app.action<BlockAction<ButtonAction>>(ACTION.conversationReply, async (args) => {
    await args.ack();
    const conversation = await conversations.find(args.action.value ?? '');
    const platform = conversation ? context.platforms.get(conversation.platform) : undefined;
    if (!conversation || !platform?.directMessages) {
      return answer(args, 'This conversation is not known to Switchboard (or its network is not configured), so it cannot be replied to.');
    }
    await slack.openView(args.body.trigger_id, await privateReplyModalFor(context, conversation, platform, '', 0));
  });

  app.action<BlockAction<ButtonAction>>(ACTION.conversationAssign, async (args) => {
    await args.ack();
    await answer(args, await conversations.assign(args.action.value ?? '', args.body.user.id));
  });

  app.action<BlockAction<ButtonAction>>(ACTION.conversationResolve, async (args) => {
    await args.ack();
    await answer(args, await conversations.toggleResolved(args.action.value ?? '', args.body.user.id));
  });

  app.action<BlockAction<ButtonAction>>(ACTION.conversationLinkContact, async (args) => {
    await args.ack();
    const conversation = await conversations.find(args.action.value ?? '');
    const customer = conversation?.participants[0];
    if (!conversation || !customer) return answer(args, 'This conversation is not known to Switchboard (erased?).');
    const current = await crm.contact(conversation.contactId);
    await slack.openView(args.body.trigger_id, renderLinkContactModal({ key: conversation.key, author: customer }, current));
  });
}

/** The private reply modal, with the network's limit for private messages and the saved replies. */
export async function privateReplyModalFor(
  context: ListenerContext,
  conversation: ConversationRecord,
  platform: Platform,
  text: string,
  revision: number,
): Promise<View> {
  const rules = platform.directMessages?.measure('') ?? platform.measureText('');
  const customer = conversation.participants[0] ?? { name: 'the customer', handle: 'unknown' };
  return renderPrivateReplyModal({
    conversationKey: conversation.key,
    customer,
    lastMessage: await context.conversations.lastInboundText(conversation),
    ...(await replyFormBasics(context, platform, rules, text, revision)),
  });
}
