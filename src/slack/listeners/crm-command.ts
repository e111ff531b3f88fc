import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { isDay, localDay, shiftDay } from '../../domain/calendar.ts';
import type { Period } from '../../domain/digest-stats.ts';
import { allows, type Role } from '../../domain/roles.ts';
import { platformOfHandle } from '../../platforms/platform.ts';
import { ACTION, SLASH_COMMAND } from '../ids.ts';
import { mrkdwnWith } from '../mrkdwn.ts';
import {
  type CommandAnswer,
  renderAudit,
  renderHelp,
  renderNotice,
  renderSavedReplies,
  renderTriageReport,
} from '../views/command-answers.ts';
import { renderContactCard, renderContactChoices, renderErasureDone, renderForgetConfirmation } from '../views/contact-card.ts';
import { formatDay } from '../views/digest-message.ts';
import { PLATFORM_NAME } from '../views/platform-names.ts';
import type { ListenerContext } from './context.ts';
import { answerRules } from './rules-command.ts';

const DEFAULT_AUDIT_COUNT = 10;
const MAX_AUDIT_COUNT = 50;

/** `/crm`: each answer is visible only to the person who asked (`response_type: ephemeral`). */
export function registerCrmCommand(app: App, context: ListenerContext): void {
  app.command(SLASH_COMMAND, async ({ ack, command, respond, context: request }) => {
    const later = (text: string | CommandAnswer) =>
      respond({ response_type: 'ephemeral', ...(typeof text === 'string' ? { text } : text) }).then(() => undefined);
    // The role guard ran first: it refused what this person may not do, and says what they are.
    const role = (request.role as Role | undefined) ?? 'viewer';
    const answer = await answerCommand(
      command.text ?? '',
      { userId: command.user_id, triggerId: command.trigger_id, later, role },
      context,
    );
    await ack({ response_type: 'ephemeral', ...answer });
  });

  const tell = (channel: string | undefined, user: string, text: string) =>
    channel ? context.slack.postEphemeral({ channel, user, text }) : Promise.resolve();

  app.action<BlockAction<ButtonAction>>(ACTION.cancelForget, async ({ ack, body }) => {
    await ack();
    await tell(body.channel?.id, body.user.id, 'Nothing was erased.');
  });

  app.action<BlockAction<ButtonAction>>(ACTION.confirmForget, async ({ ack, body, action }) => {
    await ack();
    const userId = body.user.id;
    const contact = await context.crm.contact(action.value ?? '');
    if (!contact) return tell(body.channel?.id, userId, 'That contact is already gone: nothing to erase.');
    const summary = await context.erasure.forget(contact, userId);
    const { workspaceUrl } = await context.identity;
    await tell(body.channel?.id, userId, renderErasureDone(contact.name, summary, workspaceUrl));
  });
}

/** Splits `<contact> <rest>`: a contact is "a quoted name", an @handle, an email or an ID. */
export function splitContactArgument(text: string): [string, string] {
  const trimmed = text.trim();
  const quoted = /^"([^"]+)"\s*(.*)$/s.exec(trimmed);
  if (quoted) return [quoted[1] ?? '', quoted[2] ?? ''];
  const [first = '', ...rest] = trimmed.split(/\s+/);
  return [first, rest.join(' ')];
}

async function answerCommand(
  text: string,
  request: { userId: string; triggerId: string; later: (text: string | CommandAnswer) => Promise<void>; role: Role },
  context: ListenerContext,
): Promise<CommandAnswer> {
  const { userId } = request;
  const [subcommand = '', ...rest] = text.trim().split(/\s+/);
  const argument = text.trim().slice(subcommand.length).trim();
  switch (subcommand.toLowerCase()) {
    case '':
    case 'help':
      return renderHelp();
    case 'lookup':
      return answerLookup(argument, allows(request.role, 'see_personal_data'), context);
    case 'note':
      return answerNote(argument, userId, request.triggerId, context);
    case 'tag':
      return answerTag(argument, context);
    case 'link':
      return answerLink(argument, context);
    case 'merge':
      return answerMerge(argument, context);
    case 'forget':
      return answerForget(argument, context);
    case 'export':
      return answerExport(argument, userId, request.later, context);
    case 'saved':
      return answerSaved(rest, userId, context);
    case 'audit':
      return answerAudit(rest, context);
    case 'rules':
      return answerRules(argument, request, context);
    case 'digest':
      return answerDigest(rest, userId, request.later, context);
    case 'triage':
      return answerTriage(rest, request.later, context);
    default:
      return renderHelp(`\`${subcommand.slice(0, 40)}\` is not a /crm command.`);
  }
}

const TRIAGE_DAYS = 30;

/**
 * How right the triage has been (precision per label, from the team's corrections). Counting a
 * month of mentions can take longer than Slack's 3 s: the answer follows.
 */
function answerTriage(rest: string[], later: (answer: string | CommandAnswer) => Promise<void>, context: ListenerContext): CommandAnswer {
  if (rest.length > 0) return renderHelp(`Usage: \`/crm triage\`: how often the team kept each label in the last ${TRIAGE_DAYS} days`);
  void context.triage
    .report(TRIAGE_DAYS)
    .then((report) => later(renderTriageReport(report)))
    .catch((error: unknown) => {
      context.log.warn('triage report failed', { error });
      return later('The triage report could not be worked out just now. Try again in a minute.');
    });
  return renderNotice(`Counting the last ${TRIAGE_DAYS} days of triage…`);
}

/** Viewers see who the contact is and how they engage; only agents see emails, phone, company, orders and notes. */
async function answerLookup(query: string, personalData: boolean, context: ListenerContext): Promise<CommandAnswer> {
  if (!query) return renderHelp('Usage: `/crm lookup <name | @handle | email>`');
  const match = await context.crm.resolve(query);
  if (match.kind === 'none')
    return renderNotice(mrkdwnWith`No contact matches “${query.slice(0, 80)}”. Try part of the name, an @handle or an email.`);
  if (match.kind === 'many') return renderContactChoices(query, match.contacts, { personalData });
  return renderContactCard(await context.crm.profile(match.contact), { personalData });
}

/** Resolves the contact argument of note/tag/link/merge/forget/export (agents and admins only), or says why it cannot. */
async function oneContact(reference: string, context: ListenerContext) {
  const match = await context.crm.resolve(reference);
  if (match.kind === 'one') return { contact: match.contact };
  if (match.kind === 'many') return { answer: renderContactChoices(reference, match.contacts, { personalData: true }) };
  return { answer: renderNotice(mrkdwnWith`No contact matches “${reference.slice(0, 80)}”. Nothing was changed.`) };
}

async function answerNote(argument: string, userId: string, triggerId: string, context: ListenerContext): Promise<CommandAnswer> {
  const [reference, text] = splitContactArgument(argument);
  if (!reference || !text) return renderHelp('Usage: `/crm note <contact> <text>`, e.g. `/crm note @ada_l prefers email`');
  const found = await oneContact(reference, context);
  if (!found.contact) return found.answer;
  // The command's trigger_id is unique per invocation: a retried command stores the note once.
  await context.crm.addNote(found.contact, text, userId, `command:${triggerId}`);
  return renderNotice(mrkdwnWith`Note saved on ${found.contact.name}'s timeline.`);
}

async function answerTag(argument: string, context: ListenerContext): Promise<CommandAnswer> {
  const [reference, tag] = splitContactArgument(argument);
  if (!reference || !tag || /\s/.test(tag.trim())) return renderHelp('Usage: `/crm tag <contact> <tag>` (one word, e.g. `vip`)');
  const found = await oneContact(reference, context);
  if (!found.contact) return found.answer;
  const updated = await context.crm.addTag(found.contact, tag.trim());
  return renderNotice(`${mrkdwnWith`${updated.name}`} is tagged ${(updated.tags ?? []).map((t) => mrkdwnWith`\`${t}\``).join(' ')}.`);
}

async function answerLink(argument: string, context: ListenerContext): Promise<CommandAnswer> {
  const [handle, reference] = splitContactArgument(argument);
  if (!handle.startsWith('@') || handle.length < 2 || !reference) {
    return renderHelp('Usage: `/crm link <@handle> <contact>`, e.g. `/crm link @ada_work "Ada Lovelace"`');
  }
  const found = await oneContact(reference.replace(/^"(.*)"$/, '$1'), context);
  if (!found.contact) return found.answer;
  const platform = platformOfHandle(handle);
  const { contact, movedFrom } = await context.crm.linkHandle(platform, handle, found.contact);
  const was = movedFrom ? mrkdwnWith` (it was on ${movedFrom.name})` : '';
  return renderNotice(`${mrkdwnWith`${handle} on ${PLATFORM_NAME[platform]} is now linked to ${contact.name}`}${was}.`);
}

async function answerForget(argument: string, context: ListenerContext): Promise<CommandAnswer> {
  if (!argument) return renderHelp('Usage: `/crm forget <contact>`: erases the contact and their data (asks first)');
  const found = await oneContact(argument, context);
  if (!found.contact) return found.answer;
  return renderForgetConfirmation(found.contact, await context.crm.mentionCount(found.contact));
}

/** Answered at once; the file is built and sent after (three Slack calls), and the asker told where it is. */
async function answerExport(
  argument: string,
  userId: string,
  later: (text: string) => Promise<void>,
  context: ListenerContext,
): Promise<CommandAnswer> {
  if (!argument) return renderHelp('Usage: `/crm export <contact>`: their data as a JSON file in your direct messages');
  const found = await oneContact(argument, context);
  if (!found.contact) return found.answer;
  const contact = found.contact;
  const filename = `contact-${contact.key}.json`;
  const send = async () => {
    const data = await context.crm.exportData(contact);
    // A direct message, not the channel: the file holds personal data.
    const channel = await context.slack.openDirectMessage(userId);
    await context.slack.uploadFile({
      channel,
      filename,
      // A file's title shows in previews and search: the contact ID, not the person's name.
      title: `Data held about contact ${contact.key}`,
      content: Buffer.from(`${JSON.stringify(data, null, 2)}\n`),
      comment: mrkdwnWith`Everything Switchboard holds about ${contact.name} (GDPR access request).`,
    });
  };
  void send()
    .then(() => later(`Sent ${filename} to your direct messages.`))
    .catch(async (error: unknown) => {
      context.log.warn('an export could not be sent', { error });
      await later(`The export could not be sent (${error instanceof Error ? error.message : String(error)}). Try again in a minute.`).catch(
        () => {},
      );
    });
  return { text: `Preparing ${filename}: it will arrive in your direct messages in a moment.` };
}

async function answerMerge(argument: string, context: ListenerContext): Promise<CommandAnswer> {
  const [first, rest] = splitContactArgument(argument);
  const [second] = splitContactArgument(rest);
  if (!first || !second) return renderHelp('Usage: `/crm merge <contact> <contact>`: the second is merged into the first');
  const target = await oneContact(first, context);
  if (!target.contact) return target.answer;
  const source = await oneContact(second, context);
  if (!source.contact) return source.answer;
  if (source.contact.key === target.contact.key) return { text: 'Those are the same contact: nothing to merge.' };
  const merged = await context.crm.merge(target.contact, source.contact);
  const handles = merged.identities.map((identity) => `@${identity.handle}`).join(', ');
  return renderNotice(
    mrkdwnWith`Merged ${source.contact.name} into ${merged.name}: ${handles || 'no handles'}; mentions, notes and details combined.`,
  );
}

async function answerSaved(args: string[], userId: string, context: ListenerContext): Promise<CommandAnswer> {
  const { crm } = context;
  const [action = 'list', name, ...words] = args;
  switch (action.toLowerCase()) {
    case 'list':
      return renderSavedReplies(await crm.savedReplies());
    case 'add': {
      const body = words.join(' ').trim();
      if (!name || !body)
        return renderHelp('Usage: `/crm saved add <name> <text>`, e.g. `/crm saved add refund-delay Hi {{first_name}}, …`');
      if (name.length > 40) return { text: 'A saved reply name is at most 40 characters.' };
      const replaced = await crm.saveReply({ name, text: body, createdBy: userId, createdAt: new Date().toISOString() });
      return renderNotice(mrkdwnWith`${replaced ? 'Replaced' : 'Saved'} “${name}”. It is offered in the Reply form.`);
    }
    case 'remove': {
      if (!name) return renderHelp('Usage: `/crm saved remove <name>`');
      return renderNotice(
        (await crm.removeSavedReply(name)) ? mrkdwnWith`Removed “${name}”.` : mrkdwnWith`There is no saved reply called “${name}”.`,
      );
    }
    default:
      return renderHelp(`\`saved ${action.slice(0, 20)}\` is not known: use list, add or remove.`);
  }
}

async function answerAudit(args: string[], context: ListenerContext): Promise<CommandAnswer> {
  const raw = args[0];
  const count = raw === undefined ? DEFAULT_AUDIT_COUNT : Number(raw);
  if (!Number.isInteger(count) || count < 1)
    return renderHelp(`\`${String(raw).slice(0, 20)}\` is not a number of entries: use \`/crm audit 20\`.`);
  return renderAudit(await context.crm.latestAudit(Math.min(count, MAX_AUDIT_COUNT)));
}

const DIGEST_USAGE =
  'Usage: `/crm digest [today | yesterday | 7d | YYYY-MM-DD]`: posts the digest to the digest channel now (default: today so far; 7d: the seven days before today)';

/** The period a `/crm digest` argument names, or why it names none. */
export function parseDigestPeriod(args: string[], today: string): Period | { problem: string } {
  if (args.length > 1) return { problem: `Give one period, not ${args.length}.` };
  const word = (args[0] ?? 'today').toLowerCase();
  if (word === 'today') return { first: today, last: today };
  if (word === 'yesterday') return { first: shiftDay(today, -1), last: shiftDay(today, -1) };
  // The last seven whole days: today so far would make the last bar look like a drop.
  if (word === '7d' || word === 'week') return { first: shiftDay(today, -7), last: shiftDay(today, -1) };
  if (/^\d{4}-\d{2}-\d{2}$/.test(word)) {
    if (!isDay(word)) return { problem: `${word} is not a calendar date.` };
    if (word > today) return { problem: `${word} has not happened yet (today is ${today}).` };
    return { first: word, last: word };
  }
  return { problem: `\`${args[0]?.slice(0, 40)}\` is not a period.` };
}

/** Answered at once; the digest is built and posted after the 3-second ack, then the asker is told. */
function answerDigest(args: string[], userId: string, later: (text: string) => Promise<void>, context: ListenerContext): CommandAnswer {
  const today = localDay(context.now(), context.digestTimeZone);
  const period = parseDigestPeriod(args, today);
  if ('problem' in period) return { text: `${period.problem}\n${DIGEST_USAGE}` };
  const span = period.first === period.last ? formatDay(period.first) : `${formatDay(period.first)} to ${formatDay(period.last)}`;
  void context.digests
    .postOnRequest(period, userId)
    .then((posted) => later(`The digest for ${span} is in <#${posted.channel}>${posted.quiet ? ' (a quiet one: no mentions)' : ''}.`))
    .catch(async (error: unknown) => {
      context.log.warn('a requested digest could not be posted', { error });
      await later(
        `The digest for ${span} could not be posted (${error instanceof Error ? error.message : String(error)}). Try again in a minute.`,
      ).catch(() => {});
    });
  return { text: `Building the digest for ${span}; it will appear in the digest channel in a moment.` };
}
