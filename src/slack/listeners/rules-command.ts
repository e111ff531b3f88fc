import type { App, ViewSubmitAction } from '@slack/bolt';
import type { RuleMode } from '../../domain/auto-replies/rules.ts';
import { describeMode } from '../../services/auto-replies.ts';
import { VIEW } from '../ids.ts';
import { mrkdwnWith } from '../mrkdwn.ts';
import { type CommandAnswer, renderHelp, renderNotice } from '../views/command-answers.ts';
import { renderRuleList, renderRuleTest } from '../views/rule-answers.ts';
import { RULE_PROBLEM_FIELD, readRuleForm, renderRuleModal, type SubmittedValue } from '../views/rule-modal.ts';
import type { ListenerContext } from './context.ts';

const RULES_USAGE =
  'Usage: `/crm rules` · `add` · `edit <name>` · `on <name>` · `dry-run <name>` · `off <name>` · `move <name> <position>` · `delete <name>` · `test <text>` · `pause` · `resume`';

const MODES: Record<string, RuleMode> = { on: 'live', live: 'live', 'dry-run': 'dry_run', dryrun: 'dry_run', off: 'off', disable: 'off' };

/** `/crm rules …`: list and test for everyone; the rest for admins (the role guard checked it). */
export async function answerRules(
  argument: string,
  request: { userId: string; triggerId: string },
  context: ListenerContext,
): Promise<CommandAnswer> {
  const { autoReplies } = context;
  const [action = 'list', ...words] = argument.trim().split(/\s+/).filter(Boolean);
  const rest = words.join(' ');
  const verb = action.toLowerCase();
  const named = async () => {
    const rule = rest ? await autoReplies.find(rest) : undefined;
    return {
      rule,
      missing: renderNotice(rest ? mrkdwnWith`There is no rule called “${rest.slice(0, 60)}”. \`/crm rules\` lists them.` : RULES_USAGE),
    };
  };
  switch (verb) {
    case 'list':
    case 'help': {
      const { rules, paused } = await autoReplies.list();
      return renderRuleList(rules, paused);
    }
    case 'add':
    case 'edit': {
      const rule = verb === 'edit' ? (await named()).rule : undefined;
      if (verb === 'edit' && !rule) return (await named()).missing;
      const view = renderRuleModal({
        rule,
        savedReplies: await context.crm.savedReplies(),
        businessHours: context.businessHours,
        timeZone: context.digestTimeZone,
      });
      // The form opens with the trigger before Slack's 3 s run out; the command's answer says so.
      void context.slack
        .openView(request.triggerId, view)
        .catch((error: unknown) => context.log.warn('could not open the rule form', { error }));
      return { text: rule ? mrkdwnWith`Opening “${rule.name}”…` : 'Opening the rule form…' };
    }
    case 'test': {
      if (!rest) return renderHelp('Usage: `/crm rules test <text>`: what each rule would do with a post saying this');
      return renderRuleTest(await autoReplies.test(rest.slice(0, 2_000)));
    }
    case 'pause': {
      const { cancelled, already } = await autoReplies.pause(request.userId);
      if (already) return renderNotice(`Automatic replies are already paused (by <@${already.by}>).`);
      return renderNotice(
        `:double_vertical_bar: Automatic replies are paused for everyone, starting now${cancelled ? `; ${cancelled} waiting in their Undo window ${cancelled === 1 ? 'was' : 'were'} cancelled` : ''}. \`/crm rules resume\` starts them again.`,
      );
    }
    case 'resume':
      return renderNotice(
        (await autoReplies.resume(request.userId)) ? 'Automatic replies are running again.' : 'Automatic replies were not paused.',
      );
    case 'delete':
    case 'remove': {
      const { rule, missing } = await named();
      if (!rule) return missing;
      await autoReplies.remove(rule.id, request.userId);
      return renderNotice(mrkdwnWith`Deleted “${rule.name}”. Its replies still in their Undo window were cancelled.`);
    }
    case 'move': {
      const position = Number(words.at(-1));
      const name = words.slice(0, -1).join(' ');
      if (!name || !Number.isInteger(position) || position < 1)
        return renderHelp('Usage: `/crm rules move <name> <position>` (1 is tried first)');
      const rule = await autoReplies.find(name);
      if (!rule) return renderNotice(mrkdwnWith`There is no rule called “${name.slice(0, 60)}”.`);
      const ordered = (await autoReplies.move(rule.id, position, request.userId)) ?? [];
      return renderRuleList(ordered, (await autoReplies.list()).paused);
    }
    default: {
      const mode = MODES[verb];
      if (!mode) return renderHelp(`\`rules ${action.slice(0, 20)}\` is not known. ${RULES_USAGE}`);
      const { rule, missing } = await named();
      if (!rule) return missing;
      const changed = await autoReplies.setMode(rule.id, mode, request.userId);
      if (!changed) return renderNotice(mrkdwnWith`“${rule.name}” is already ${describeMode(mode)}.`);
      const what =
        mode === 'live'
          ? 'is live: it sends automatic replies, each with an Undo window'
          : mode === 'dry_run'
            ? 'is a dry run: it says what it would send, and sends nothing'
            : 'is off';
      return renderNotice(mrkdwnWith`“${rule.name}” ${what}.`);
    }
  }
}

/** The rule form's submission: checked in full (errors shown inside the form), then saved. */
export function registerRuleModal(app: App, context: ListenerContext): void {
  app.view<ViewSubmitAction>(VIEW.ruleModal, async ({ ack, view, body }) => {
    const draft = readRuleForm(view.state.values as Record<string, Record<string, SubmittedValue>>);
    const { ruleId } = JSON.parse(view.private_metadata || '{}') as { ruleId?: string };
    const change = ruleId
      ? await context.autoReplies.edit(ruleId, draft, body.user.id)
      : await context.autoReplies.add(draft, body.user.id);
    if (change.kind === 'invalid') {
      const errors = Object.fromEntries(
        Object.entries(change.problems).map(([field, message]) => [RULE_PROBLEM_FIELD[field as keyof typeof RULE_PROBLEM_FIELD], message]),
      );
      return ack({ response_action: 'errors', errors });
    }
    if (change.kind === 'unknown') {
      return ack({ response_action: 'errors', errors: { [RULE_PROBLEM_FIELD.name]: 'This rule was deleted meanwhile: close the form.' } });
    }
    await ack();
    const { rule } = change;
    const text =
      change.kind === 'added'
        ? mrkdwnWith`Saved “${rule.name}” as a dry run: it will say in each matching thread what it would send. Switch it on with \`/crm rules on ${rule.name}\`.`
        : mrkdwnWith`Saved “${rule.name}” (${describeMode(rule.mode)}).`;
    // The form is closed: the confirmation comes as a direct message from the bot.
    const blocks = renderNotice(text).blocks ?? [];
    await context.slack
      .openDirectMessage(body.user.id)
      .then((channel) => context.slack.postMessage({ channel, text, blocks }))
      .catch((error: unknown) => context.log.warn('could not confirm a saved rule', { error }));
  });
}
