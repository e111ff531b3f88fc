import type { KnownBlock } from '@slack/types';
import type { ReplyRecord } from '../../domain/records.ts';
import { ACTION } from '../ids.ts';
import { escapeMrkdwn, link, quote } from '../mrkdwn.ts';
import { context as contextBlock, section } from './blocks.ts';

export interface AnnouncementContext {
  brandHandle: string;
  platformName: string;
  /** A cost or risk to know before it goes (X: a link makes the post cost more). */
  warning?: string;
  now: Date;
}

/**
 * The thread message that follows a public reply through its life: scheduled (with Undo), sent
 * (with the link), undone, refused, or uncertain. Pure; rendered again at each step and updated in place.
 */
export function renderReplyAnnouncement(reply: ReplyRecord, context: AnnouncementContext): { text: string; blocks: KnownBlock[] } {
  // Escaped and cut to Slack's section size (an instance may allow replies longer than 3,000).
  const quoted = quote(reply.text, 2900);
  const as = `@${escapeMrkdwn(context.brandHandle)}`;
  const head = headline(reply, context, as);
  const blocks: KnownBlock[] = [section(head), section(quoted)];
  if (reply.state === 'scheduled' && context.warning) {
    blocks.push(contextBlock(`:moneybag: ${escapeMrkdwn(context.warning)}`));
  }
  if (reply.state === 'scheduled' && reply.automatic) {
    blocks.push(contextBlock('Anyone on the team can press Undo, or reply themselves to take over: either way this one is not sent.'));
  }
  if (reply.state === 'scheduled') {
    blocks.push({
      type: 'actions',
      elements: [
        { type: 'button', action_id: ACTION.undoReply, text: { type: 'plain_text', text: 'Undo' }, style: 'danger', value: reply.key },
      ],
    });
  }
  // The notification text: the headline without emoji codes and bold marks (links stay intact).
  return { text: head.replace(/:[a-z_]+: /g, '').replace(/\*/g, ''), blocks };
}

function headline(reply: ReplyRecord, context: AnnouncementContext, as: string): string {
  if (reply.automatic) return automaticHeadline(reply, context, as);
  const by = `<@${reply.requestedBy}>`;
  switch (reply.state) {
    case 'scheduled': {
      const seconds = Math.max(0, Math.ceil((Date.parse(reply.sendAt) - context.now.getTime()) / 1000));
      return `:hourglass_flowing_sand: *Sending in ${seconds} s as ${as}* on ${context.platformName}, requested by ${by}:`;
    }
    case 'sending':
      return `:outbox_tray: *Sending now as ${as}* on ${context.platformName}, requested by ${by}:`;
    case 'sent':
      return `:white_check_mark: *Sent by ${by} as ${as}*${reply.sent?.url ? ` · ${link(reply.sent.url, `view on ${context.platformName}`)}` : ''}${
        reply.sent?.note ? ` (${escapeMrkdwn(reply.sent.note)})` : ''
      }:`;
    case 'cancelled':
      return `:leftwards_arrow_with_hook: *Undone by <@${reply.cancelledBy ?? reply.requestedBy}>*: nothing was sent.`;
    case 'failed':
      return `:x: *Not sent*: ${escapeMrkdwn(reply.failure ?? 'the platform refused it')}. Nothing was published.`;
    case 'uncertain':
      return `:warning: *Not known whether this reply was published*: ${escapeMrkdwn(reply.failure ?? 'the platform did not answer')}. Check ${as} on ${context.platformName} before sending it again; Switchboard will not retry it.`;
  }
}

/** A rule's reply: named by its rule (never a person), and what became of it. */
function automaticHeadline(reply: ReplyRecord, context: AnnouncementContext, as: string): string {
  const rule = `rule “${escapeMrkdwn(reply.automatic?.ruleName ?? '')}”`;
  switch (reply.state) {
    case 'scheduled': {
      const seconds = Math.max(0, Math.ceil((Date.parse(reply.sendAt) - context.now.getTime()) / 1000));
      return `:robot_face: *Automatic reply in ${seconds} s* as ${as} on ${context.platformName}, by ${rule}:`;
    }
    case 'sending':
      return `:outbox_tray: *Sending the automatic reply now* as ${as} on ${context.platformName}, by ${rule}:`;
    case 'sent':
      return `:white_check_mark: *Auto-replied by ${rule}* as ${as}${reply.sent?.url ? ` · ${link(reply.sent.url, `view on ${context.platformName}`)}` : ''}:`;
    case 'cancelled': {
      const why =
        reply.cancelReason && reply.cancelledBy && /^[UW][A-Z0-9]+$/.test(reply.cancelledBy)
          ? `${escapeMrkdwn(reply.cancelReason)} (<@${reply.cancelledBy}>)`
          : reply.cancelReason
            ? escapeMrkdwn(reply.cancelReason)
            : `undone by <@${reply.cancelledBy ?? 'someone'}>`;
      return `:leftwards_arrow_with_hook: *Automatic reply cancelled*: ${why}. Nothing was sent.`;
    }
    case 'failed':
      return `:x: *Automatic reply not sent*: ${escapeMrkdwn(reply.failure ?? 'the platform refused it')}. Nothing was published.`;
    case 'uncertain':
      return `:warning: *Not known whether the automatic reply was published*: ${escapeMrkdwn(reply.failure ?? 'the platform did not answer')}. Check ${as} on ${context.platformName}; Switchboard will not retry it.`;
  }
}
