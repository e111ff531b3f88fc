import type { App } from '@slack/bolt';
import { registerAppHome } from './app-home.ts';
import type { ListenerContext } from './context.ts';
import { registerConversationActions } from './conversation-actions.ts';
import { registerCrmCommand } from './crm-command.ts';
import { registerLinkContactModal } from './link-contact-modal.ts';
import { registerMentionActions } from './mention-actions.ts';
import { registerReplyModal } from './reply-modal.ts';
import { registerRoleGuard } from './role-guard.ts';
import { registerRuleModal } from './rules-command.ts';
import { registerThreadMessages } from './thread-messages.ts';
import { registerWorkspaceGuard } from './workspace-guard.ts';

/**
 * Every listener, by Slack surface (Bolt's starter-template shape). The workspace guard runs first,
 * then the role guard: the one place that decides who may do what.
 */
export function registerListeners(app: App, context: ListenerContext): void {
  registerWorkspaceGuard(app, context);
  registerRoleGuard(app, context);
  registerMentionActions(app, context);
  registerConversationActions(app, context);
  registerReplyModal(app, context);
  registerLinkContactModal(app, context);
  registerRuleModal(app, context);
  registerThreadMessages(app, context);
  registerCrmCommand(app, context);
  registerAppHome(app, context);
}
