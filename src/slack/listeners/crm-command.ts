import type { App } from '@slack/bolt';
import { SLASH_COMMAND } from '../ids.ts';
import { type CommandAnswer, renderAudit, renderHelp, renderSavedReplies } from '../views/command-answers.ts';
import type { ListenerContext } from './context.ts';

const DEFAULT_AUDIT_COUNT = 10;
const MAX_AUDIT_COUNT = 50;

/** `/crm`: each answer is visible only to the person who asked (`response_type: ephemeral`). */
export function registerCrmCommand(app: App, context: ListenerContext): void {
  app.command(SLASH_COMMAND, async ({ ack, command }) => {
    const answer = await answerCommand(command.text ?? '', command.user_id, context);
    await ack({ response_type: 'ephemeral', ...answer });
  });
}

async function answerCommand(text: string, userId: string, context: ListenerContext): Promise<CommandAnswer> {
  const [subcommand = '', ...rest] = text.trim().split(/\s+/);
  switch (subcommand.toLowerCase()) {
    case '':
    case 'help':
      return renderHelp();
    case 'saved':
      return answerSaved(rest, userId, context);
    case 'audit':
      return answerAudit(rest, userId, context);
    default:
      return renderHelp(`\`${subcommand.slice(0, 40)}\` is not a /crm command.`);
  }
}

async function answerSaved(args: string[], userId: string, context: ListenerContext): Promise<CommandAnswer> {
  const { savedReplies } = context.store;
  const [action = 'list', name, ...words] = args;
  switch (action.toLowerCase()) {
    case 'list':
      return renderSavedReplies(savedReplies.list());
    case 'add': {
      const body = words.join(' ').trim();
      if (!name || !body)
        return renderHelp('Usage: `/crm saved add <name> <text>`, e.g. `/crm saved add refund-delay Hi {{first_name}}, …`');
      if (name.length > 40) return { text: 'A saved reply name is at most 40 characters.' };
      const replaced = await savedReplies.upsert({ name, text: body, createdBy: userId, createdAt: new Date().toISOString() });
      return { text: `${replaced ? 'Replaced' : 'Saved'} “${name}”. It is offered in the Reply form.` };
    }
    case 'remove': {
      if (!name) return renderHelp('Usage: `/crm saved remove <name>`');
      return { text: (await savedReplies.remove(name)) ? `Removed “${name}”.` : `There is no saved reply called “${name}”.` };
    }
    default:
      return renderHelp(`\`saved ${action.slice(0, 20)}\` is not known: use list, add or remove.`);
  }
}

async function answerAudit(args: string[], userId: string, context: ListenerContext): Promise<CommandAnswer> {
  if (!(await context.permissions.canActPublicly(userId))) {
    return { text: 'The audit log is shown to the people allowed to reply publicly (REPLY_ALLOWED_USERS).' };
  }
  const raw = args[0];
  const count = raw === undefined ? DEFAULT_AUDIT_COUNT : Number(raw);
  if (!Number.isInteger(count) || count < 1)
    return renderHelp(`\`${String(raw).slice(0, 20)}\` is not a number of entries: use \`/crm audit 20\`.`);
  return renderAudit(await context.store.audit.latest(Math.min(count, MAX_AUDIT_COUNT)));
}
