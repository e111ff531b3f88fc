import { createHmac } from 'node:crypto';

/**
 * Payloads as Slack sends them to an app (block_actions, view_submission, event_callback, slash
 * commands), and their signature. The sandbox page's clicks become these; the tests send them too.
 * Shapes from https://docs.slack.dev/reference/interaction-payloads and the Events API docs.
 */

/** Signs a body the way Slack does: `v0=` HMAC-SHA256 of `v0:{timestamp}:{body}`. */
export function slackSignature(secret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export type SlackBody = { json: unknown } | { form: Record<string, string> };

/** The raw body, content type and signature headers of a request Slack would send. */
export function signSlackRequest(body: SlackBody, secret: string, timestamp = Math.floor(Date.now() / 1000)) {
  const isJson = 'json' in body;
  const raw = isJson ? JSON.stringify(body.json) : new URLSearchParams(body.form).toString();
  return {
    raw,
    headers: {
      'content-type': isJson ? 'application/json' : 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': slackSignature(secret, timestamp, raw),
    },
  };
}

const TEAM = { id: 'T0STANDIN', domain: 'standin' };

/**
 * A block_actions payload for a button on a message, with Slack's fields; or, with `element:
 * 'static_select'`, for a choice in a select menu on a message (the Relabel menu), which Slack
 * reports as `selected_option` instead of `value`.
 */
export function buttonClick(options: {
  blockId?: string;
  actionId: string;
  value: string;
  element?: 'button' | 'static_select' | 'overflow';
  /** The chosen option's text, for a select. */
  label?: string;
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
          options.element === 'overflow'
            ? {
                // Slack's overflow menu: the chosen option, no value of its own.
                action_id: options.actionId,
                block_id: options.blockId ?? 'surge_batch',
                type: 'overflow',
                selected_option: { text: { type: 'plain_text', text: options.label ?? options.value }, value: options.value },
                action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
              }
            : options.element === 'static_select'
              ? {
                  action_id: options.actionId,
                  block_id: options.blockId ?? 'mention_actions',
                  type: 'static_select',
                  selected_option: { text: { type: 'plain_text', text: options.label ?? options.value }, value: options.value },
                  placeholder: { type: 'plain_text', text: 'Relabel' },
                  action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
                }
              : {
                  action_id: options.actionId,
                  block_id: options.blockId ?? 'mention_actions',
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
  /** By action ID: text for inputs and single selects; a list for checkboxes and multi-selects. */
  values: Record<string, string | string[]>;
  teamId?: string;
}) {
  const blocks = (options.view.view.blocks ?? []) as Array<{
    type: string;
    block_id?: string;
    element?: { action_id?: string; type?: string };
  }>;
  const state: Record<string, Record<string, Record<string, unknown>>> = {};
  for (const block of blocks) {
    const actionId = block.element?.action_id;
    const type = block.element?.type ?? 'plain_text_input';
    if (block.type !== 'input' || !block.block_id || !actionId) continue;
    const given = options.values[actionId];
    const list = given === undefined ? [] : Array.isArray(given) ? given : [given];
    const value = Array.isArray(given) ? given[0] : given;
    const picked = (chosen: string) => ({ text: { type: 'plain_text', text: chosen }, value: chosen });
    // Slack reports every input block, each element in its own shape (Bolt's ViewStateValue).
    state[block.block_id] = {
      [actionId]:
        type === 'checkboxes' || type.startsWith('multi_')
          ? { type, selected_options: list.map(picked) }
          : type === 'users_select'
            ? { type, selected_user: value ?? null }
            : type === 'conversations_select'
              ? { type, selected_conversation: value ?? null }
              : type.endsWith('_select')
                ? { type, selected_option: value ? picked(value) : null }
                : { type, value: value ?? null },
    };
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
  return eventCallback(
    {
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
    { teamId: options.teamId, eventId: options.eventId },
  );
}

/** `app_home_opened`, as Slack sends it when a person opens the app's Home tab. */
export function appHomeOpenedEvent(options: { userId: string; teamId?: string }) {
  ++eventSequence;
  return eventCallback(
    {
      type: 'app_home_opened',
      user: options.userId,
      channel: `D0${options.userId.slice(1, 9)}`,
      tab: 'home',
      event_ts: `${Date.now() / 1000}`,
    },
    { teamId: options.teamId },
  );
}

/** The Events API envelope Slack wraps every event in (`event_callback`). */
function eventCallback<E extends object>(event: E, options: { teamId?: string; eventId?: string }) {
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
      event,
    },
  };
}

/** A button pressed in the Home tab: a `block_actions` whose container is the view, with no channel or message. */
export function homeButtonClick(options: {
  actionId: string;
  value: string;
  blockId?: string;
  userId: string;
  teamId?: string;
  triggerId?: string;
}) {
  const team = { ...TEAM, id: options.teamId ?? TEAM.id };
  return {
    form: {
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: options.userId, username: 'agent', name: 'agent', team_id: team.id },
        api_app_id: 'A0SWITCHBD',
        token: 'legacy-verification-token',
        container: { type: 'view', view_id: `VH${options.userId}` },
        trigger_id: options.triggerId ?? '1234567890.123456.abcdef',
        team,
        view: { id: `VH${options.userId}`, type: 'home', team_id: team.id },
        actions: [
          {
            action_id: options.actionId,
            block_id: options.blockId ?? 'home_filters',
            type: 'button',
            value: options.value,
            text: { type: 'plain_text', text: options.value },
            action_ts: `${Math.floor(Date.now() / 1000)}.000100`,
          },
        ],
      }),
    },
  };
}

/** A slash command as Slack posts it (form-encoded). */
export function slashCommand(options: {
  text: string;
  userId?: string;
  channel?: string;
  teamId?: string;
  responseUrl?: string;
  /** One the Slack stand-in issued, for a command that opens a form. */
  triggerId?: string;
}) {
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
      response_url: options.responseUrl ?? 'https://hooks.slack.com/commands/T0STANDIN/1/abc',
      trigger_id: options.triggerId ?? `${Date.now()}.1.cmd`,
    },
  };
}

/** A block_actions payload for a select inside an open modal (e.g. the saved-reply picker). */
export function viewSelect(options: {
  view: { id: string; hash: string; view: Record<string, unknown> };
  actionId: string;
  blockId: string;
  value: string;
  label?: string;
  userId?: string;
  userName?: string;
  triggerId: string;
}) {
  const userId = options.userId ?? 'U0AGENT01';
  return {
    form: {
      payload: JSON.stringify({
        type: 'block_actions',
        user: { id: userId, username: options.userName ?? 'agent', name: options.userName ?? 'agent', team_id: TEAM.id },
        team: TEAM,
        api_app_id: 'A0SWITCHBD',
        token: 'legacy-verification-token',
        trigger_id: options.triggerId,
        container: { type: 'view', view_id: options.view.id },
        view: { ...options.view.view, id: options.view.id, hash: options.view.hash, state: { values: {} } },
        actions: [
          {
            type: 'static_select',
            action_id: options.actionId,
            block_id: options.blockId,
            selected_option: { text: { type: 'plain_text', text: options.label ?? options.value }, value: options.value },
            action_ts: `${Date.now() / 1000}`,
          },
        ],
      }),
    },
  };
}

/**
 * The request Slack sends to the options load URL while someone types in an external_select
 * (https://docs.slack.dev/reference/block-kit/block-elements/select-menu-element#external_select).
 */
export function blockSuggestion(options: {
  view: { id: string; hash: string; view: Record<string, unknown> };
  actionId: string;
  blockId: string;
  value: string;
  userId?: string;
}) {
  const userId = options.userId ?? 'U0AGENT01';
  return {
    form: {
      payload: JSON.stringify({
        type: 'block_suggestion',
        user: { id: userId, username: 'agent', name: 'agent', team_id: TEAM.id },
        team: TEAM,
        api_app_id: 'A0SWITCHBD',
        token: 'legacy-verification-token',
        container: { type: 'view', view_id: options.view.id },
        view: { ...options.view.view, id: options.view.id, hash: options.view.hash },
        action_id: options.actionId,
        block_id: options.blockId,
        value: options.value,
      }),
    },
  };
}
