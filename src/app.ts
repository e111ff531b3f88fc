import type { IncomingMessage, ServerResponse } from 'node:http';
import { App, type AuthorizeResult } from '@slack/bolt';
import { type Config, secretsOf } from './config.ts';
import { createRedactor, type Log, toBoltLogger } from './log.ts';
import type { Health } from './services/health.ts';

export interface SlackIdentity {
  botUserId: string;
  botId: string;
  teamId: string;
  /** The workspace's URL (`https://acme.slack.com/`), for message permalinks. */
  workspaceUrl: string;
}

/**
 * The Bolt app: HTTP mode on PORT (signed requests at POST /slack/events, GET /healthz), or
 * Socket Mode when SLACK_APP_TOKEN is set (then only /healthz is served over HTTP).
 * `identity` resolves once `auth.test` has answered; Bolt's own start-up call is avoided because
 * it retries for half an hour when Slack is unreachable, and hangs the process.
 */
export interface ExtraRoute {
  path: string;
  method: string[];
  handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
}

export function createSlackApp(options: {
  config: Config;
  log: Log;
  health: Health;
  identity: Promise<SlackIdentity>;
  /** HTTP routes beside Slack's and /healthz (POST /crm/sync). */
  routes?: ExtraRoute[];
}): App {
  const { config, log, health, identity } = options;
  const redactHealth = createRedactor(secretsOf(config));
  const authorize = async (): Promise<AuthorizeResult> => {
    const { botUserId, botId, teamId } = await identity;
    return { botToken: config.slack.botToken, botUserId, botId, teamId };
  };
  const customRoutes = [
    {
      path: '/healthz',
      method: ['GET'],
      handler: (_req: IncomingMessage, res: ServerResponse) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
        // Health details quote vendors' error messages, which can echo a token or a request.
        res.end(redactHealth(JSON.stringify(health.snapshot())));
      },
    },
    ...(options.routes ?? []),
  ];
  const common = {
    authorize,
    logger: toBoltLogger(log.child('bolt'), config.logLevel),
    customRoutes,
    // Listener calls are made explicitly and retried by the code that knows whether a retry is safe.
    clientOptions: { slackApiUrl: config.slack.apiUrl, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true, timeout: 10_000 },
  };
  const app = config.slack.appToken
    ? new App({ ...common, socketMode: true, appToken: config.slack.appToken, installerOptions: { port: config.port } })
    : new App({ ...common, signingSecret: config.slack.signingSecret ?? '' });

  // The one place unexpected listener errors end up. Expected failures are answered to the person
  // by the listener itself; this logs the rest, and Bolt still acknowledges Slack.
  app.error(async (error) => {
    log.error('unhandled error in a Slack listener', { error, code: (error as { code?: string }).code });
  });
  return app;
}
