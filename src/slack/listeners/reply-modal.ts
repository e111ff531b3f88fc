import type { App, BlockAction, StaticSelectAction, ViewSubmitAction } from '@slack/bolt';
import type { View } from '@slack/types';
import { isConversationKey } from '../../domain/conversations.ts';
import type { MentionRecord } from '../../domain/records.ts';
import { fillTemplate, firstNameOf } from '../../domain/reply-text.ts';
import type { Platform, TextMeasure } from '../../platforms/platform.ts';
import { ACTION, VIEW } from '../ids.ts';
import { parseReplyModalMetadata, type ReplyModalInput, renderReplyModal, replyTextBlockId } from '../views/reply-modal.ts';
import type { ListenerContext } from './context.ts';
import { privateReplyModalFor } from './conversation-actions.ts';

/** The reply modal: a saved reply refills the text; Send validates inside the modal, then schedules. */
export function registerReplyModal(app: App, context: ListenerContext): void {
  const { crm, actions, replies, slack, platforms } = context;

  app.view<ViewSubmitAction>(VIEW.replyModal, async ({ ack, body, view }) => {
    const metadata = parseReplyModalMetadata(view.private_metadata);
    const blockId = replyTextBlockId(metadata?.revision ?? 0);
    const text = view.state.values[blockId]?.[ACTION.replyText]?.value ?? '';
    if (!metadata)
      return ack({ response_action: 'errors', errors: { [blockId]: 'This form is damaged: close it and press Reply again.' } });

    // The view ID is this request's key: Slack resending the submission, or a second press of
    // Send, finds the stored request and sends nothing new.
    const outcome = await replies.request({ requestKey: `view:${view.id}`, mentionKey: metadata.mentionKey, text, userId: body.user.id });
    switch (outcome.kind) {
      case 'scheduled':
      case 'duplicate':
        return ack();
      case 'invalid':
      case 'refused':
      case 'busy':
        return ack({ response_action: 'errors', errors: { [blockId]: outcome.message.slice(0, 2000) } });
    }
  });

  app.action<BlockAction<StaticSelectAction>>(ACTION.pickSavedReply, async ({ ack, body, action }) => {
    await ack();
    const metadata = parseReplyModalMetadata(body.view?.private_metadata ?? '');
    const saved = await crm.savedReply(action.selected_option.value);
    if (body.view && metadata && saved && isConversationKey(metadata.mentionKey)) {
      const conversation = await context.conversations.find(metadata.mentionKey);
      const platform = conversation ? platforms.get(conversation.platform) : undefined;
      const customer = conversation?.participants[0];
      if (!conversation || !platform || !customer) return;
      const agent = body.user.name ?? body.user.username ?? 'the team';
      const text = fillTemplate(saved.text, { first_name: firstNameOf(customer.name).firstName, handle: `@${customer.handle}`, agent });
      await slack.updateView(
        body.view.id,
        await privateReplyModalFor(context, conversation, platform, text, metadata.revision + 1),
        body.view.hash,
      );
      return;
    }
    const mention = metadata ? await actions.find(metadata.mentionKey) : undefined;
    const platform = mention ? platforms.get(mention.mention.platform) : undefined;
    if (!body.view || !metadata || !saved || !mention || !platform) return;
    const agent = body.user.name ?? body.user.username ?? 'the team';
    const { firstName, fromDisplayName } = firstNameOf(mention.mention.author.name);
    const text = fillTemplate(saved.text, { first_name: firstName, handle: `@${mention.mention.author.handle}`, agent });
    const usesFirstName = /\{\{\s*first_name\s*\}\}/.test(saved.text);
    const view = await replyModalFor(
      context,
      mention,
      platform,
      text,
      metadata.revision + 1,
      usesFirstName ? { value: firstName, fromDisplayName } : undefined,
    );
    await slack.updateView(body.view.id, view, body.view.hash);
  });
}

/** The reply modal for a mention, with the platform's limit, the undo window and the saved replies. */
export async function replyModalFor(
  context: ListenerContext,
  mention: MentionRecord,
  platform: Platform,
  text: string,
  revision: number,
  firstName?: ReplyModalInput['firstName'],
): Promise<View> {
  return renderReplyModal({ mention, ...(await replyFormBasics(context, platform, platform.measureText(''), text, revision)), firstName });
}

/** What every reply form shows alike, public or private: who sends, the limit as the network counts, the undo window, saved replies. */
export async function replyFormBasics(context: ListenerContext, platform: Platform, rules: TextMeasure, text: string, revision: number) {
  return {
    brandHandle: platform.brandHandle,
    platformName: platform.displayName,
    limit: rules.limit,
    countingRule: rules.countingRule,
    undoSeconds: context.undoSeconds,
    savedReplies: await context.crm.savedReplies(),
    text,
    revision,
  };
}
