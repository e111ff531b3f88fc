import { allows, describeRefusal, type GuardedAction, type Role } from '../domain/roles.ts';
import type { AuditRepository } from './repositories.ts';

/** How long a user group's membership is trusted before it is asked again. */
const GROUP_CACHE_MS = 5 * 60_000;

/** Who is in a Slack user group: the one thing roles need from Slack (the Slack gateway provides it). */
export interface UserGroupDirectory {
  userGroupMembers(groupId: string): Promise<string[]>;
}

export interface RoleLists {
  /** `SLACK_AGENTS` (or `REPLY_ALLOWED_USERS`): user and user-group IDs. Empty: everyone is an agent. */
  agents: string[];
  /** `SLACK_ADMINS`: user and user-group IDs. Empty: nobody is an admin. */
  admins: string[];
}

export type Decision = { allowed: true; role: Role } | { allowed: false; role: Role; message: string };

/**
 * Roles from Slack user IDs and user-group IDs (`S…`, resolved with `usergroups.users.list` and
 * cached), and the one check every request goes through (see domain/roles.ts for the table).
 * Every refusal is audited.
 */
export class Permissions {
  private readonly groupCache = new Map<string, { members: Set<string>; at: number }>();
  /** Group lookups in flight: concurrent checks share one `usergroups.users.list` call. */
  private readonly refreshing = new Map<string, Promise<Set<string>>>();

  constructor(
    private readonly lists: RoleLists,
    private readonly directory: UserGroupDirectory,
    private readonly audit: Pick<AuditRepository, 'record'>,
    private readonly now: () => number = Date.now,
  ) {}

  get hasAdmins(): boolean {
    return this.lists.admins.length > 0;
  }

  async roleOf(userId: string): Promise<Role> {
    if (await this.isListed(userId, this.lists.admins)) return 'admin';
    if (this.lists.agents.length === 0 || (await this.isListed(userId, this.lists.agents))) return 'agent';
    return 'viewer';
  }

  /** Whether `userId` may do `action`; a refusal is audited and comes with the words to tell them. */
  async check(userId: string, action: GuardedAction, about: { mentionKey?: string } = {}): Promise<Decision> {
    const role = await this.roleOf(userId);
    if (allows(role, action)) return { allowed: true, role };
    await this.audit.record({
      actor: userId,
      action: 'refused',
      mentionKey: about.mentionKey,
      detail: `${action} needs a role above ${role}`,
    });
    return { allowed: false, role, message: describeRefusal(action, { adminsConfigured: this.hasAdmins }) };
  }

  private async isListed(userId: string, ids: string[]): Promise<boolean> {
    if (ids.includes(userId)) return true;
    for (const group of ids.filter((id) => id.startsWith('S'))) {
      if ((await this.membersOf(group)).has(userId)) return true;
    }
    return false;
  }

  /**
   * Fetches every user group named in the role lists, so the first request after start-up does not
   * wait for Slack before it can be answered. Failures are left for the first real check.
   */
  async warm(): Promise<void> {
    const groups = [...this.lists.agents, ...this.lists.admins].filter((id) => id.startsWith('S'));
    await Promise.all(groups.map((group) => this.refresh(group).catch(() => undefined)));
  }

  /**
   * A group's members. A known membership answers at once, even when due for a refresh (which then
   * happens in the background): a role check runs before Slack's request is answered, and must not
   * wait on Slack.
   */
  private async membersOf(group: string): Promise<Set<string>> {
    const cached = this.groupCache.get(group);
    if (!cached) return this.refresh(group);
    if (this.now() - cached.at >= GROUP_CACHE_MS) void this.refresh(group).catch(() => undefined);
    return cached.members;
  }

  private refresh(group: string): Promise<Set<string>> {
    const running = this.refreshing.get(group);
    if (running) return running;
    const fetching = this.directory
      .userGroupMembers(group)
      .then((list) => {
        const members = new Set(list);
        this.groupCache.set(group, { members, at: this.now() });
        return members;
      })
      .finally(() => this.refreshing.delete(group));
    this.refreshing.set(group, fetching);
    return fetching;
  }
}
