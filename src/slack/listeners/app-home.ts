import type { App, BlockAction, ButtonAction } from '@slack/bolt';
import { isInboxFilter } from '../../domain/inbox.ts';
import { ACTION } from '../ids.ts';
import type { ListenerContext } from './context.ts';

/**
 * The App Home inbox: drawn when a person opens the Home tab, and again when they pick a list.
 * Its item buttons (Assign to me, Resolve) are the mention and conversation buttons, handled and
 * guarded where those are; the inbox redraws itself when they change something.
 */
export function registerAppHome(app: App, context: ListenerContext): void {
  const { inbox, log } = context;
  app.event('app_home_opened', async ({ event }) => {
    if (event.tab !== 'home') return;
    await inbox.open(event.user).catch((error: unknown) => log.warn('could not draw the inbox', { error }));
  });
  app.action<BlockAction<ButtonAction>>(new RegExp(`^${ACTION.homeFilter}_`), async ({ ack, action, body }) => {
    await ack();
    const filter = action.value ?? '';
    if (isInboxFilter(filter)) await inbox.open(body.user.id, filter);
  });
}
