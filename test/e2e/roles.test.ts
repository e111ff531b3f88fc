import { describe, expect, it } from 'vitest';
import { blockSuggestion, buttonClick } from '../../src/sandbox/slack-payloads.ts';
import { useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow } from '../helpers/reply-flow.ts';

const VIEWER = 'U0VIEWER01';
const AGENT = 'U0AGENTX01';
const ADMIN = 'U0ADMIN001';
const GROUP_ADMIN = 'U0GROUPAD1';

/**
 * Who may do what: viewers look, agents work the queue, admins manage the CRM. Every request passes
 * one check (the role guard) before any listener runs; each refusal is answered in words and audited.
 */
describe('roles: viewer, agent, admin', () => {
  const bed = useTestBed({ userGroups: { S0ADMINS01: [GROUP_ADMIN] } });
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );
  const roles = { SLACK_AGENTS: AGENT, SLACK_ADMINS: `${ADMIN},S0ADMINS01` };

  async function customerWithData() {
    const mention = await flow.mention('my order 1234 is late', { username: 'ada_l', name: 'Ada Lovelace' });
    // The note is stored before the command answers.
    await flow.command('note @ada_l lives at 12 Marylebone Road', ADMIN);
    return mention;
  }

  it('shows a viewer the contact card without personal data, and refuses every agent and admin action', async () => {
    await bed.start(roles);
    const mention = await customerWithData();

    const card = JSON.stringify(await flow.command('lookup @ada_l', VIEWER));
    expect(card).toContain('Ada Lovelace');
    expect(card).toContain('shown to support agents');
    expect(card).not.toContain('Marylebone');
    const agentCard = JSON.stringify(await flow.command('lookup @ada_l', AGENT));
    expect(agentCard).toContain('Marylebone');

    const refusals: Array<[string, string]> = [
      ['note @ada_l hello', 'Writing notes on contacts is for support agents'],
      ['tag @ada_l vip', 'Tagging contacts is for support agents'],
      ['link @ada_work @ada_l', 'Linking authors to contacts is for support agents'],
      ['merge @ada_l @grace_h', 'Merging contacts is for Switchboard admins'],
      ['forget @ada_l', 'Erasing a contact is for Switchboard admins'],
      ['export @ada_l', 'Exporting a contact’s data is for Switchboard admins'],
      ['saved add evil Visit https://evil.example', 'Changing saved replies is for Switchboard admins'],
      ['saved remove anything', 'Changing saved replies is for Switchboard admins'],
      ['digest', 'Posting the digest on demand is for Switchboard admins'],
      ['audit', 'Reading the audit log is for Switchboard admins'],
    ];
    for (const [command, refusal] of refusals) {
      const answer = await flow.command(command, VIEWER);
      expect(answer.response_type, command).toBe('ephemeral');
      expect(answer.text, command).toContain(refusal);
      expect(answer.text, command).not.toContain('SLACK_');
    }
    expect((await flow.command('saved list', VIEWER)).text).not.toContain('for Switchboard admins');

    for (const action of ['mention_like', 'mention_assign_to_me', 'mention_resolve', 'mention_link_contact']) {
      await flow.press(action, mention.message, mention.key, VIEWER);
    }
    await waitUntil(() => flow.ephemeralsFor(VIEWER).length === 4, 5_000, 'four refusals');
    expect(flow.ephemeralsFor(VIEWER).map((m) => m.text.split(' is for')[0])).toEqual([
      'Liking posts as the brand',
      'Assigning mentions',
      'Resolving mentions',
      'Linking authors to contacts',
    ]);
    expect(bed.standins.x.callsTo('likes.create')).toHaveLength(0);
    expect(JSON.stringify(flow.currentMessage(mention)?.blocks)).not.toContain(VIEWER);

    // A viewer's chatter in the thread is not recorded as a note on the contact.
    await flow.writeInThread(mention, 'looks like a shipping problem', { userId: VIEWER });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(JSON.stringify(await flow.command('lookup @ada_l', AGENT))).not.toContain('looks like a shipping problem');

    const audit = await flow.command('audit 50', ADMIN);
    expect((audit.text?.match(/<@U0VIEWER01> was refused/g) ?? []).length).toBe(refusals.length + 4);
  });

  it('lets an agent work the queue but not manage the CRM', async () => {
    await bed.start(roles);
    const mention = await customerWithData();
    await flow.press('mention_like', mention.message, mention.key, AGENT);
    await waitUntil(() => bed.standins.x.callsTo('likes.create').length === 1, 5_000, 'the like');
    expect((await flow.command('note @ada_l prefers email', AGENT)).text).toContain('Note saved');
    expect((await flow.command('forget @ada_l', AGENT)).text).toContain('Erasing a contact is for Switchboard admins');
    expect((await flow.command('export @ada_l', AGENT)).text).toContain('is for Switchboard admins');
    // The Erase button of a confirmation shown to someone else is checked again when pressed.
    await flow.send(
      buttonClick({ actionId: 'crm_forget_confirm', value: 'any-contact', channel: 'C0MENTIONS', messageTs: '1.1', userId: AGENT }),
    );
    await waitUntil(() => flow.ephemeralsFor(AGENT).some((m) => m.text.startsWith('Erasing a contact is for Switchboard admins')), 5_000);
    expect(JSON.stringify(await flow.command('lookup @ada_l', AGENT))).toContain('Ada Lovelace');
  });

  it('lets admins listed by user group do admin actions', async () => {
    await bed.start(roles);
    await customerWithData();
    expect((await flow.command('saved add thanks Thank you, {{first_name}}!', GROUP_ADMIN)).text).toContain('Saved “thanks”');
    expect((await flow.command('audit', GROUP_ADMIN)).text).not.toContain('is for Switchboard admins');
  });

  it('with no admins set up, refuses admin actions and says how to set them up; never open to all', async () => {
    await bed.start({ SLACK_ADMINS: '' });
    await customerWithData().catch(() => undefined);
    const answer = await flow.command('export @ada_l', 'U0ANYONE01');
    expect(answer.text).toContain('Exporting a contact’s data is for Switchboard admins, and none are set up yet');
    expect(answer.text).toContain('SLACK_ADMINS');
    // Agents are everyone by default (the first wave's behaviour): replies still work for all.
    expect((await flow.command('note @ada_l hi', 'U0ANYONE01')).text).toContain('Note saved');
  });

  it('refuses a form submitted or a type-ahead used by someone without the role', async () => {
    await bed.start(roles);
    const mention = await flow.mention('help please');
    const view = await flow.openReplyModal(mention, AGENT);
    const refused = await flow.submitReply(view, '@ada_l hi', VIEWER);
    expect(JSON.parse(refused.text).response_action).toBe('errors');
    expect(refused.text).toContain('Replying on the brand’s behalf is for support agents');
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(0);

    await flow.press('mention_link_contact', mention.message, mention.key, AGENT);
    const linkView = await waitUntil(
      () => bed.standins.slack.views().find((v) => JSON.stringify(v.view).includes('link_contact_modal')),
      5_000,
    );
    const options = await flow.send(
      blockSuggestion({ view: linkView, actionId: 'contact_pick', blockId: 'contact_pick', value: 'ada', userId: VIEWER }),
    );
    expect(JSON.parse(options.text)).toEqual({ options: [] });
  });
});
