import type { App, BlockAction, ButtonAction, OverflowAction, SlackActionMiddlewareArgs, StaticSelectAction } from '@slack/bolt';
import { isLabel } from '../../domain/triage/labels.ts';
import { ACTION, parseOverflowValue, parseRelabelValue } from '../ids.ts';
import { renderLinkContactModal } from '../views/link-contact-modal.ts';
import type { ListenerContext } from './context.ts';
import { replyModalFor } from './reply-modal.ts';

/** A press or a choice on a message: what the answer to the presser needs from it. */
type ActionArgs = SlackActionMiddlewareArgs<BlockAction<ButtonAction | StaticSelectAction>>;
type OverflowArgs = SlackActionMiddlewareArgs<BlockAction<OverflowAction>>;

/**
 * The mention message's buttons and the announcement's Undo. Each acks at once (Slack's 3 s),
 * then acts; what only the presser needs to know comes back as a message only they see.
 */
export function registerMentionActions(app: App, context: ListenerContext): void {
  const { slack, actions, replies, triage, log } = context;

  const answer = async (args: ActionArgs | OverflowArgs, text: string | undefined) => {
    const channel = args.body.channel?.id;
    if (!text || !channel) return;
    const threadTs = args.body.message?.thread_ts;
    await slack.postEphemeral({ channel, user: args.body.user.id, text, threadTs });
  };

  const openReply = async (args: ActionArgs | OverflowArgs, mentionKey: string) => {
    // The trigger_id is valid for 3 s and once: open the modal before anything slow.
    const mention = await actions.find(mentionKey);
    const platform = mention ? context.platforms.get(mention.mention.platform) : undefined;
    if (!mention || !platform) return answer(args, 'This mention is not known to Switchboard, so it cannot be replied to.');
    const prefix = platform.replyPrefix?.(mention.mention.author) ?? `@${mention.mention.author.handle} `;
    await slack.openView(args.body.trigger_id, await replyModalFor(context, mention, platform, prefix, 0));
  };

  app.action<BlockAction<ButtonAction>>(ACTION.reply, async (args) => {
    await args.ack();
    await openReply(args, args.action.value ?? '');
  });

  // In a surge's thread several mentions share a message: each has the same actions in its menu.
  app.action<BlockAction<OverflowAction>>(ACTION.mentionOverflow, async (args) => {
    await args.ack();
    const choice = parseOverflowValue(args.action.selected_option?.value ?? '');
    if (!choice) return answer(args, 'That is not an action Switchboard knows.');
    const userId = args.body.user.id;
    switch (choice.verb) {
      case 'reply':
        return openReply(args, choice.mentionKey);
      case 'like':
        return answer(args, await actions.like(choice.mentionKey, userId));
      case 'assign':
        return answer(args, await actions.assign(choice.mentionKey, userId));
      case 'resolve':
        return answer(args, await actions.toggleResolved(choice.mentionKey, userId));
      case 'hide':
        return answer(args, await actions.toggleHidden(choice.mentionKey, userId));
    }
  });

  app.action<BlockAction<ButtonAction>>(ACTION.like, async (args) => {
    await args.ack();
    await answer(args, await actions.like(args.action.value ?? '', args.body.user.id));
  });

  app.action<BlockAction<ButtonAction>>(ACTION.hide, async (args) => {
    await args.ack();
    await answer(args, await actions.toggleHidden(args.action.value ?? '', args.body.user.id));
  });

  app.action<BlockAction<ButtonAction>>(ACTION.assignToMe, async (args) => {
    await args.ack();
    await answer(args, await actions.assign(args.action.value ?? '', args.body.user.id));
  });

  app.action<BlockAction<ButtonAction>>(ACTION.resolve, async (args) => {
    await args.ack();
    await answer(args, await actions.toggleResolved(args.action.value ?? '', args.body.user.id));
  });

  app.action<BlockAction<StaticSelectAction>>(ACTION.relabel, async (args) => {
    await args.ack();
    const choice = parseRelabelValue(args.action.selected_option?.value ?? '');
    if (!choice || !isLabel(choice.label)) return answer(args, 'That label is not one Switchboard knows.');
    await answer(args, await triage.relabel(choice.mentionKey, choice.label, args.body.user.id));
  });

  app.action<BlockAction<ButtonAction>>(ACTION.undoReply, async (args) => {
    await args.ack();
    const outcome = await replies.undo(args.action.value ?? '', args.body.user.id);
    // "Undone" shows on the announcement itself; refusals and "too late" go to the presser.
    if (outcome.kind !== 'undone') await answer(args, outcome.message);
  });

  app.action<BlockAction<ButtonAction>>(ACTION.linkContact, async (args) => {
    await args.ack();
    const mention = await actions.find(args.action.value ?? '');
    if (!mention) return answer(args, 'This mention is not known to Switchboard.');
    const current = await context.crm.contact(mention.contactId);
    await slack.openView(args.body.trigger_id, renderLinkContactModal({ key: mention.key, author: mention.mention.author }, current));
    log.debug(`link contact opened by ${args.body.user.id} for ${mention.key}`);
  });
}
