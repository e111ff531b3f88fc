import { type SlackBody, signSlackRequest, slackSignature } from '../../src/sandbox/slack-payloads.ts';

export { buttonClick, slashCommand, threadMessageEvent, viewSubmission } from '../../src/sandbox/slack-payloads.ts';
export { slackSignature };

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
  body: SlackBody,
  options: SignedPostOptions,
): Promise<{ status: number; text: string }> {
  const signed = signSlackRequest(body, options.secret, options.timestamp);
  const response = await fetch(`${baseUrl}/slack/events`, {
    method: 'POST',
    headers: { ...signed.headers, ...(options.signature ? { 'x-slack-signature': options.signature } : {}), ...options.headers },
    body: signed.raw,
  });
  return { status: response.status, text: await response.text() };
}
