import type { App } from '@slack/bolt';
import type { Log } from '../../log.ts';
import { registerMentionActions } from './mention-actions.ts';

/** Every listener, by Slack surface (Bolt's starter-template shape). */
export function registerListeners(app: App, log: Log): void {
  registerMentionActions(app, log);
}
