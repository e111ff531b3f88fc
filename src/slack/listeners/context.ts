import type { SlackIdentity } from '../../app.ts';
import type { Log } from '../../log.ts';
import type { Platform, PlatformId } from '../../platforms/platform.ts';
import type { Crm } from '../../services/crm.ts';
import type { DigestService } from '../../services/digest.ts';
import type { MentionActions } from '../../services/mention-actions.ts';
import type { MentionMessages } from '../../services/mention-messages.ts';
import type { Permissions } from '../../services/permissions.ts';
import type { ReplyService } from '../../services/replies.ts';
import type { Store } from '../../store/store.ts';
import type { SlackGateway } from '../slack-gateway.ts';

/** What listeners reach: the services, never the stores' files or a vendor SDK directly. */
export interface ListenerContext {
  store: Store;
  slack: SlackGateway;
  replies: ReplyService;
  actions: MentionActions;
  crm: Crm;
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
