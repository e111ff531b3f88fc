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

/** A block_actions payload for a button on a message, with Slack's fields. */
export function buttonClick(options: {
  actionId: string;
  value: string;
  channel: string;
  messageTs: string;
  userId?: string;
  teamId?: string;
}) {
  const userId = options.userId ?? 'U0AGENT01';
  return {
    form: {
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: userId, username: 'agent', name: 'agent', team_id: options.teamId ?? 'T0STANDIN' },
        api_app_id: 'A0SWITCHBD',
        token: 'legacy-verification-token',
        container: { type: 'message', message_ts: options.messageTs, channel_id: options.channel, is_ephemeral: false },
        trigger_id: '1234567890.123456.abcdef',
        team: { id: options.teamId ?? 'T0STANDIN', domain: 'standin' },
        channel: { id: options.channel, name: 'social' },
        message: { ts: options.messageTs, type: 'message' },
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
