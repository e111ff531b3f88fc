import type { SlackGateway } from '../slack/slack-gateway.ts';

/** How long a user group's membership is trusted before it is asked again. */
const GROUP_CACHE_MS = 5 * 60_000;

/**
 * Who may act publicly on the brand's behalf: `REPLY_ALLOWED_USERS`, user IDs and user-group IDs
 * (resolved with `usergroups.users.list`, cached). An empty list allows everyone in the workspace.
 */
export class Permissions {
  private readonly users: Set<string>;
  private readonly groups: string[];
  private readonly groupCache = new Map<string, { members: Set<string>; at: number }>();

  constructor(
    allowed: string[],
    private readonly slack: SlackGateway,
    private readonly now: () => number = Date.now,
  ) {
    this.users = new Set(allowed.filter((id) => !id.startsWith('S')));
    this.groups = allowed.filter((id) => id.startsWith('S'));
  }

  get isOpenToEveryone(): boolean {
    return this.users.size === 0 && this.groups.length === 0;
  }

  async canActPublicly(userId: string): Promise<boolean> {
    if (this.isOpenToEveryone || this.users.has(userId)) return true;
    for (const group of this.groups) {
      if ((await this.membersOf(group)).has(userId)) return true;
    }
    return false;
  }

  private async membersOf(group: string): Promise<Set<string>> {
    const cached = this.groupCache.get(group);
    if (cached && this.now() - cached.at < GROUP_CACHE_MS) return cached.members;
    try {
      const members = new Set(await this.slack.userGroupMembers(group));
      this.groupCache.set(group, { members, at: this.now() });
      return members;
    } catch (error) {
      // Slack unreachable: the last known membership is better than refusing everyone.
      if (cached) return cached.members;
      throw error;
    }
  }
}
