import type { AnyMiddlewareArgs, App } from '@slack/bolt';
import { parseThreadMessage } from '../../domain/reply-text.ts';
import type { GuardedAction, Role } from '../../domain/roles.ts';
import { ACTION, type OverflowVerb, parseOverflowValue, SLASH_COMMAND, VIEW } from '../ids.ts';
import type { ListenerContext } from './context.ts';

/** What Slack sends, as far as the guard reads it. */
interface SlackBody {
  type?: string;
  command?: string;
  text?: string;
  user_id?: string;
  channel_id?: string;
  user?: { id?: string };
  actions?: Array<{ action_id?: string; value?: string; selected_option?: { value?: string } }>;
  action_id?: string;
  view?: { callback_id?: string; private_metadata?: string; blocks?: Array<{ type?: string; block_id?: string }> };
  channel?: { id?: string };
  container?: { thread_ts?: string };
  message?: { ts?: string; thread_ts?: string };
  event?: {
    type?: string;
    subtype?: string;
    user?: string;
    bot_id?: string;
    text?: string;
    channel?: string;
    ts?: string;
    thread_ts?: string;
  };
}

/** The buttons, forms and type-aheads that need a role, by the ID Slack echoes back. */
const BY_ACTION_ID: Record<string, GuardedAction> = {
  [ACTION.reply]: 'reply',
  [ACTION.pickSavedReply]: 'reply',
  [ACTION.undoReply]: 'undo_reply',
  [ACTION.like]: 'like',
  [ACTION.hide]: 'hide',
  [ACTION.assignToMe]: 'assign',
  [ACTION.resolve]: 'resolve',
  [ACTION.relabel]: 'relabel',
  [ACTION.linkContact]: 'link_contact',
  [ACTION.conversationReply]: 'reply',
  [ACTION.conversationAssign]: 'assign',
  [ACTION.conversationResolve]: 'resolve',
  [ACTION.conversationLinkContact]: 'link_contact',
  [ACTION.pickContact]: 'link_contact',
  [ACTION.confirmForget]: 'forget',
};

/** A surge thread's menu: the chosen option decides the action. */
const OVERFLOW_ACTION: Record<OverflowVerb, GuardedAction> = {
  reply: 'reply',
  like: 'like',
  assign: 'assign',
  resolve: 'resolve',
  hide: 'hide',
};

const BY_VIEW: Record<string, GuardedAction> = {
  [VIEW.replyModal]: 'reply',
  [VIEW.ruleModal]: 'edit_rules',
  [VIEW.linkContactModal]: 'link_contact',
};

/** `/crm` subcommands that need a role (lookup and help are for everyone; the card hides what a viewer may not see). */
function commandAction(text: string): GuardedAction | undefined {
  const [subcommand = '', second = ''] = text.trim().toLowerCase().split(/\s+/);
  switch (subcommand) {
    case 'note':
      return 'note';
    case 'tag':
      return 'tag';
    case 'link':
      return 'link_contact';
    case 'merge':
      return 'merge';
    case 'forget':
      return 'forget';
    case 'export':
      return 'export';
    case 'audit':
      return 'read_audit';
    case 'digest':
      return 'post_digest';
    case 'saved':
      return second === 'add' || second === 'remove' ? 'edit_saved_replies' : undefined;
    case 'rules':
      // Listing and testing are for everyone; every change (pause included) is an admin's.
      return ['', 'list', 'test', 'help'].includes(second) ? undefined : 'edit_rules';
    default:
      return undefined;
  }
}

/** What a request asks to do, and who asks. */
export function guardedRequestOf(body: SlackBody): { userId?: string; action?: GuardedAction; quietIfRefused?: boolean } {
  if (body.command === SLASH_COMMAND) return { userId: body.user_id, action: commandAction(body.text ?? '') };
  if (body.type === 'block_actions') {
    const first = body.actions?.[0];
    // A surge thread's menu: the chosen option says which action it is.
    if (first?.action_id === ACTION.mentionOverflow) {
      const verb = parseOverflowValue(first.selected_option?.value ?? '')?.verb;
      return {
        userId: body.user?.id,
        // An option Switchboard does not know is refused further on; an agent's role is asked of it meanwhile.
        action: verb ? OVERFLOW_ACTION[verb] : 'assign',
      };
    }
    return { userId: body.user?.id, action: BY_ACTION_ID[first?.action_id ?? ''] };
  }
  if (body.type === 'block_suggestion') return { userId: body.user?.id, action: BY_ACTION_ID[body.action_id ?? ''] };
  if (body.type === 'view_submission') return { userId: body.user?.id, action: BY_VIEW[body.view?.callback_id ?? ''] };
  const event = body.event;
  if (event?.type === 'message' && !event.subtype && !event.bot_id && event.user && event.thread_ts && event.thread_ts !== event.ts) {
    // In a thread, `reply:` asks to publish; anything else becomes a note on the contact, for
    // agents only. A viewer talking in a thread is not refused, just not recorded as a note.
    const isReply = parseThreadMessage(event.text ?? '').kind === 'reply';
    return { userId: event.user, action: isReply ? 'reply' : 'note', quietIfRefused: !isReply };
  }
  return { userId: body.user_id ?? body.user?.id ?? event?.user };
}

/**
 * The one permission check: a global middleware in front of every listener. It finds what the
 * request asks to do (domain/roles.ts says which role that needs), refuses it before any listener
 * runs (audited, and answered in words the person understands), and otherwise passes the person's
 * role on in Bolt's context (`context.role`) for views that show more to some roles.
 */
export function registerRoleGuard(app: App, context: ListenerContext): void {
  app.use(async (args) => {
    const body = args.body as SlackBody;
    const request = guardedRequestOf(body);
    if (!request.userId) return args.next();
    if (!request.action) {
      args.context.role = await context.permissions.roleOf(request.userId);
      return args.next();
    }
    const decision = request.quietIfRefused
      ? await context.permissions.roleOf(request.userId).then((role) => ({ allowed: role !== 'viewer', role, message: '' }))
      : await context.permissions.check(request.userId, request.action, { mentionKey: mentionKeyOf(body) });
    args.context.role = decision.role satisfies Role;
    if (decision.allowed) return args.next();
    if (request.quietIfRefused) return;
    context.log.info(`refused ${request.action} to ${request.userId} (${decision.role})`);
    await refuse(args, body, request.userId, decision.message, context);
  });
}

function mentionKeyOf(body: SlackBody): string | undefined {
  const chosen = parseOverflowValue(body.actions?.[0]?.selected_option?.value ?? '');
  if (chosen) return chosen.mentionKey;
  const value = body.actions?.[0]?.value;
  if (value?.includes(':')) return value;
  try {
    const metadata = JSON.parse(body.view?.private_metadata || '{}') as { mentionKey?: unknown };
    return typeof metadata.mentionKey === 'string' ? metadata.mentionKey : undefined;
  } catch {
    return undefined;
  }
}

/** Answers a refused request the way its surface allows: inside the form, or a message only they see. */
async function refuse(args: AnyMiddlewareArgs, body: SlackBody, userId: string, message: string, context: ListenerContext) {
  const { ack } = args as AnyMiddlewareArgs & { ack?: (response?: unknown) => Promise<void> };
  if (body.command) return ack?.({ response_type: 'ephemeral', text: message });
  if (body.type === 'view_submission') {
    const input = body.view?.blocks?.find((block) => block.type === 'input')?.block_id;
    return ack?.(input ? { response_action: 'errors', errors: { [input]: message } } : undefined);
  }
  if (body.type === 'block_suggestion') return ack?.({ options: [] });
  await ack?.();
  const channel = body.channel?.id ?? body.event?.channel;
  const threadTs = body.message?.thread_ts ?? body.container?.thread_ts ?? body.event?.thread_ts;
  if (channel) await context.slack.postEphemeral({ channel, user: userId, text: message, threadTs });
}
