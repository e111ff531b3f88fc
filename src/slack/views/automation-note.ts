import type { KnownBlock } from '@slack/types';
import type { AutomationNote } from '../../services/team-chat.ts';
import { AUTOMATION_METADATA_EVENT } from '../ids.ts';
import { escapeMrkdwn, link, quote, truncate } from '../mrkdwn.ts';
import { context, LABEL_EMOJI, section } from './blocks.ts';
import { permalink } from './digest-message.ts';

export interface AutomationNoteShown {
  workspaceUrl?: string;
  /** The display name of a dry run's assignee: named, never pinged. */
  assigneeName?: string;
}

/**
 * What a rule tells the team. A dry run says, in the item's thread, what it would have done and
 * that nothing was sent; a notification tells the rule's channel about the item, with a link to it.
 * Pure. Nobody is pinged: people are named, the author only by escaped handle.
 */
export function renderAutomationNote(
  note: AutomationNote,
  shown: AutomationNoteShown,
): { text: string; blocks: KnownBlock[]; metadata: { event_type: string; event_payload: { rule: string } } } {
  const rule = `rule “${escapeMrkdwn(truncate(note.ruleName, 60))}”`;
  const metadata = { event_type: AUTOMATION_METADATA_EVENT, event_payload: { rule: note.ruleName } };
  if (note.kind === 'notify') {
    const where = shown.workspaceUrl ? link(permalink(shown.workspaceUrl, note.item), 'see the message') : 'see the mentions channel';
    const label = note.label ? `${LABEL_EMOJI[note.label]} ${note.label.toLowerCase()}` : 'post';
    const head = `:robot_face: *${rule[0]?.toUpperCase()}${rule.slice(1)}* flagged a ${label} from @${escapeMrkdwn(truncate(note.handle, 60))} on ${note.platformName}: ${where}`;
    return { text: `Rule ${escapeMrkdwn(note.ruleName)} flagged a post on ${note.platformName}`, blocks: [section(head)], metadata };
  }
  const would: string[] = [];
  if (note.text !== undefined) would.push(`reply as @${escapeMrkdwn(note.brandHandle)} on ${note.platformName}`);
  if (note.assignTo) would.push(`assign it to ${escapeMrkdwn(shown.assigneeName ?? 'its assignee')}`);
  if (note.notifyChannel) would.push(`tell <#${note.notifyChannel}>`);
  const blocks: KnownBlock[] = [section(`:test_tube: *Dry run of ${rule}*: it would ${would.join(', ') || 'act'}. Nothing was sent.`)];
  if (note.text !== undefined) blocks.push(section(quote(note.text, 2800)));
  blocks.push(context('An admin switches the rule on with `/crm rules on <name>` once its dry runs read right.'));
  return { text: `Dry run of rule ${escapeMrkdwn(note.ruleName)}: nothing was sent`, blocks, metadata };
}
