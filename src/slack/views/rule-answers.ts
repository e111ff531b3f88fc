import { type AutoReplyRule, describeConditions, type RuleSubject } from '../../domain/auto-replies/rules.ts';
import { LANGUAGE_NAMES } from '../../domain/triage/language.ts';
import type { RuleTrial } from '../../services/auto-replies.ts';
import { escapeMrkdwn, quote, truncate } from '../mrkdwn.ts';
import { context, section, slackDate } from './blocks.ts';
import type { CommandAnswer } from './command-answers.ts';
import { PLATFORM_NAME } from './platform-names.ts';

const MODE_BADGE: Record<AutoReplyRule['mode'], string> = {
  live: ':large_green_circle: live',
  dry_run: ':test_tube: dry run',
  off: ':white_circle: off',
};

function describeActions(rule: AutoReplyRule): string {
  const parts: string[] = [];
  if (rule.actions.savedReply) parts.push(`reply with “${escapeMrkdwn(rule.actions.savedReply)}”`);
  if (rule.actions.assignTo) parts.push(`assign to <@${rule.actions.assignTo}>`);
  if (rule.actions.notifyChannel) parts.push(`tell <#${rule.actions.notifyChannel}>`);
  return parts.join(', ');
}

/** `/crm rules`: the rules in evaluation order, each with its mode, conditions and actions; and the pause. */
export function renderRuleList(rules: AutoReplyRule[], paused?: { by: string; at: string }): CommandAnswer {
  const pause = paused
    ? `:double_vertical_bar: *Automatic replies are paused* (by <@${paused.by}>, ${slackDate(paused.at)}): nothing automatic is sent. \`/crm rules resume\` starts them again.`
    : undefined;
  if (rules.length === 0) {
    const text = [pause, 'No automatic-reply rules yet. `/crm rules add` opens the form; a new rule starts in dry run.']
      .filter(Boolean)
      .join('\n');
    return { text, blocks: [section(text)] };
  }
  const lines = rules.map(
    (rule, index) =>
      `${index + 1}. *${escapeMrkdwn(rule.name)}* · ${MODE_BADGE[rule.mode]} · when ${escapeMrkdwn(describeConditions(rule.when).join(', '))} → ${describeActions(rule)}${rule.continueAfter ? ', then the next rules' : ''} · at most ${rule.dailyCap} a day`,
  );
  const text = [pause, `*Automatic-reply rules*, in the order they are tried\n${lines.join('\n')}`].filter(Boolean).join('\n');
  return {
    text,
    blocks: [
      section(truncate(text, 2900)),
      context(
        '`/crm rules add` · `edit <name>` · `on <name>` · `dry-run <name>` · `off <name>` · `move <name> <position>` · `delete <name>` · `test <text>` · `pause` · `resume`',
      ),
    ],
  };
}

/** `/crm rules test <text>`: how the text was read, and what each rule would do with it. */
export function renderRuleTest(result: { subject: RuleSubject; trials: RuleTrial[]; paused: boolean }): CommandAnswer {
  const { subject, trials } = result;
  const language = subject.language ? LANGUAGE_NAMES[subject.language] : 'an unknown language';
  const read = `Read as a *${subject.label ?? 'unlabelled'}* in *${language}*, as a public @mention on ${PLATFORM_NAME[subject.platform]} from someone new, now:`;
  const lines = trials.map((trial) => {
    const name = `*${escapeMrkdwn(trial.rule.name)}* (${MODE_BADGE[trial.rule.mode]})`;
    if (!trial.match.matches) return `• ${name}: no, ${escapeMrkdwn(trial.match.because)}`;
    if (trial.rule.mode === 'off') return `• ${name}: would match, but it is off`;
    if (!trial.acts) return `• ${name}: would match, but an earlier rule acted and did not continue`;
    if (trial.guardrail) return `• ${name}: matches, but no automatic reply: ${escapeMrkdwn(trial.guardrail.words)}`;
    return `• ${name}: *acts*: ${describeActions(trial.rule)}${trial.rule.mode === 'dry_run' ? ' (as a dry run: nothing sent)' : ''}`;
  });
  const body = lines.length ? lines.join('\n') : 'There are no rules yet.';
  const pausedLine = result.paused ? '\n:double_vertical_bar: Automatic replies are paused: none would be sent now.' : '';
  const text = `${read}\n${body}${pausedLine}`;
  return { text, blocks: [section(quote(subject.text, 500)), section(truncate(`${read}\n${body}${pausedLine}`, 2900))] };
}
