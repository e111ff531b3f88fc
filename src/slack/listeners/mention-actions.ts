import type { App } from '@slack/bolt';
import type { Log } from '../../log.ts';
import { ACTION } from '../ids.ts';

const COMING_WITH: Record<string, string> = {
  [ACTION.reply]: 'Replying from Slack',
  [ACTION.like]: 'Liking from Slack',
  [ACTION.linkContact]: 'Linking a contact by hand',
  [ACTION.assignToMe]: 'Assigning',
  [ACTION.resolve]: 'Resolving',
};

/**
 * The mention message's buttons. Until the reply and CRM features land, a click is acknowledged
 * (so Slack shows no error) and the person is told plainly, in a message only they see, that the
 * action is not available yet: nothing is published.
 */
export function registerMentionActions(app: App, log: Log): void {
  for (const actionId of Object.values(ACTION)) {
    app.action(actionId, async ({ ack, body, client }) => {
      await ack();
      const channel = 'channel' in body ? body.channel?.id : undefined;
      if (!channel) return;
      await client.chat.postEphemeral({
        channel,
        user: body.user.id,
        text: `${COMING_WITH[actionId] ?? 'This action'} is not available in this version of Switchboard yet. Nothing was sent.`,
      });
      log.info(`button ${actionId} pressed by ${body.user.id}: not available yet`);
    });
  }
}
