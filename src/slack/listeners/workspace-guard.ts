import type { AnyMiddlewareArgs, App } from '@slack/bolt';
import type { ListenerContext } from './context.ts';

/**
 * Requests signed for this app but from another workspace (a second install, an Enterprise Grid
 * org) are refused before any listener runs: the brand's accounts belong to one team.
 */
export function registerWorkspaceGuard(app: App, context: ListenerContext): void {
  app.use(async (args) => {
    const teamId = teamOf(args.body as Record<string, unknown>);
    const { teamId: ours } = await context.identity;
    if (!teamId || !ours || teamId === ours) return args.next();
    context.log.warn(`refused a request from workspace ${teamId} (this bot serves ${ours})`);
    const { ack } = args as AnyMiddlewareArgs & { ack?: (response?: unknown) => Promise<void> };
    if (ack)
      await ack(
        isCommand(args.body) ? { response_type: 'ephemeral', text: 'Switchboard serves another workspace: nothing was done.' } : undefined,
      );
  });
}

function teamOf(body: Record<string, unknown>): string | undefined {
  if (typeof body.team_id === 'string') return body.team_id;
  const team = body.team as { id?: string } | undefined;
  if (team?.id) return team.id;
  const user = body.user as { team_id?: string } | undefined;
  return user?.team_id;
}

function isCommand(body: unknown): boolean {
  return typeof (body as { command?: unknown }).command === 'string';
}
