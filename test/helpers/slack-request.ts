import { createHmac } from 'node:crypto';

/** Signs a body the way Slack does: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export interface SignedPostOptions {
  secret: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number;
  /** Overrides the computed signature (to send a bad one). */
  signature?: string;
  headers?: Record<string, string>;
}

/** POSTs to the bot's /slack/events as Slack would. `body` is JSON (events) or a form (commands, interactions). */
export async function postSignedToSlackEndpoint(
  baseUrl: string,
  body: { json: unknown } | { form: Record<string, string> },
  options: SignedPostOptions,
): Promise<{ status: number; text: string }> {
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const isJson = 'json' in body;
  const raw = isJson ? JSON.stringify(body.json) : new URLSearchParams(body.form).toString();
  const response = await fetch(`${baseUrl}/slack/events`, {
    method: 'POST',
    headers: {
      'content-type': isJson ? 'application/json' : 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': options.signature ?? slackSignature(options.secret, timestamp, raw),
      ...options.headers,
    },
    body: raw,
  });
  return { status: response.status, text: await response.text() };
}

const TEAM = { id: 'T0STANDIN', domain: 'standin' };

/** A block_actions payload for a button on a message, with Slack's fields. */
export function buttonClick(options: {
  actionId: string;
  value: string;
  channel: string;
  messageTs: string;
  threadTs?: string;
  userId?: string;
  userName?: string;
  teamId?: string;
  triggerId?: string;
}) {
  const userId = options.userId ?? 'U0AGENT01';
  const team = { ...TEAM, id: options.teamId ?? TEAM.id };
  return {
    form: {
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: userId, username: options.userName ?? 'agent', name: options.userName ?? 'agent', team_id: team.id },
        api_app_id: 'A0SWITCHBD',
        token: 'legacy-verification-token',
        container: { type: 'message', message_ts: options.messageTs, channel_id: options.channel, is_ephemeral: false },
        trigger_id: options.triggerId ?? '1234567890.123456.abcdef',
        team,
        channel: { id: options.channel, name: 'social' },
        message: { ts: options.messageTs, type: 'message', ...(options.threadTs ? { thread_ts: options.threadTs } : {}) },
        response_url: 'https://hooks.slack.com/actions/T0STANDIN/1/abc',
        actions: [
          {
            action_id: options.actionId,
            block_id: 'mention_actions',
            value: options.value,
            type: 'button',
            action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
            text: { type: 'plain_text', text: 'button' },
          },
        ],
      }),
    },
  };
}

/**
 * A view_submission payload for a modal the bot opened, with `values` filled into its input
 * blocks by action_id, as Slack reports them in `view.state.values`.
 */
export function viewSubmission(options: {
  view: { id: string; hash: string; view: Record<string, unknown> };
  userId?: string;
  values: Record<string, string>;
  teamId?: string;
}) {
  const blocks = (options.view.view.blocks ?? []) as Array<{
    type: string;
    block_id?: string;
    element?: { action_id?: string; type?: string };
  }>;
  const state: Record<string, Record<string, { type: string; value: string }>> = {};
  for (const block of blocks) {
    const actionId = block.element?.action_id;
    if (block.type === 'input' && block.block_id && actionId && actionId in options.values) {
      state[block.block_id] = { [actionId]: { type: block.element?.type ?? 'plain_text_input', value: options.values[actionId] ?? '' } };
    }
  }
  const userId = options.userId ?? 'U0AGENT01';
  const team = { ...TEAM, id: options.teamId ?? TEAM.id };
  return {
    form: {
      payload: JSON.stringify({
        type: 'view_submission',
        team,
        user: { id: userId, username: 'agent', name: 'agent', team_id: team.id },
        api_app_id: 'A0SWITCHBD',
        token: 'legacy-verification-token',
        trigger_id: `${Date.now()}.1.submit`,
        view: { ...options.view.view, id: options.view.id, hash: options.view.hash, team_id: team.id, state: { values: state } },
        response_urls: [],
      }),
    },
  };
}

let eventSequence = 0;

/** An Events API `message` event in a thread, wrapped in its event_callback envelope. */
export function threadMessageEvent(options: {
  channel: string;
  threadTs: string;
  text: string;
  userId?: string;
  ts?: string;
  teamId?: string;
  subtype?: string;
  botId?: string;
  eventId?: string;
}) {
  const ts = options.ts ?? `${Math.floor(Date.now() / 1000)}.${String(++eventSequence).padStart(6, '0')}`;
  const teamId = options.teamId ?? TEAM.id;
  return {
    json: {
      token: 'legacy-verification-token',
      team_id: teamId,
      api_app_id: 'A0SWITCHBD',
      type: 'event_callback',
      event_id: options.eventId ?? `Ev${Date.now()}${eventSequence}`,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: teamId, user_id: 'U0SWITCHBD', is_bot: true }],
      event: {
        type: 'message',
        channel: options.channel,
        channel_type: 'channel',
        user: options.botId ? undefined : (options.userId ?? 'U0AGENT01'),
        bot_id: options.botId,
        subtype: options.subtype,
        text: options.text,
        ts,
        thread_ts: options.threadTs,
        event_ts: ts,
      },
    },
  };
}

/** A slash command as Slack posts it (form-encoded). */
export function slashCommand(options: { text: string; userId?: string; channel?: string; teamId?: string }) {
  return {
    form: {
      token: 'legacy-verification-token',
      team_id: options.teamId ?? TEAM.id,
      team_domain: TEAM.domain,
      channel_id: options.channel ?? 'C0MENTIONS',
      channel_name: 'social-mentions',
      user_id: options.userId ?? 'U0AGENT01',
      user_name: 'agent',
      command: '/crm',
      text: options.text,
      api_app_id: 'A0SWITCHBD',
      response_url: 'https://hooks.slack.com/commands/T0STANDIN/1/abc',
      trigger_id: `${Date.now()}.1.cmd`,
    },
  };
}
