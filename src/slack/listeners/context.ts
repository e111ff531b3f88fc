import type { SlackIdentity } from '../../app.ts';
import type { BusinessHours } from '../../domain/auto-replies/business-hours.ts';
import type { Log } from '../../log.ts';
import type { Platform, PlatformId } from '../../platforms/platform.ts';
import type { AutoReplies } from '../../services/auto-replies.ts';
import type { Conversations } from '../../services/conversations.ts';
import type { Crm } from '../../services/crm.ts';
import type { DigestService } from '../../services/digest.ts';
import type { ErasureService } from '../../services/erasure.ts';
import type { Inbox } from '../../services/inbox.ts';
import type { MentionActions } from '../../services/mention-actions.ts';
import type { MentionMessages } from '../../services/mention-messages.ts';
import type { Permissions } from '../../services/permissions.ts';
import type { ReplyService } from '../../services/replies.ts';
import type { TriageService } from '../../services/triage.ts';
import type { SlackGateway } from '../slack-gateway.ts';

/**
 * What listeners reach: the services, and the Slack gateway for Slack's own surfaces (views,
 * answers only the person sees). Never a store: every read or change goes through a service.
 */
export interface ListenerContext {
  slack: SlackGateway;
  replies: ReplyService;
  triage: TriageService;
  actions: MentionActions;
  conversations: Conversations;
  /** The App Home inbox. */
  inbox: Inbox;
  autoReplies: AutoReplies;
  /** BUSINESS_HOURS, shown in the rule form. */
  businessHours?: BusinessHours;
  crm: Crm;
  erasure: ErasureService;
  mentionMessages: MentionMessages;
  permissions: Permissions;
  platforms: ReadonlyMap<PlatformId, Platform>;
  identity: Promise<SlackIdentity>;
  undoSeconds: number;
  digests: DigestService;
  /** DIGEST_TIMEZONE: what "today" means to `/crm digest`. */
  digestTimeZone: string;
  now: () => Date;
  log: Log;
}
