/**
 * Who may do what. Three roles, each including the one below it:
 * - viewer: anyone in the workspace; sees mention messages and contact cards without personal data;
 * - agent (`SLACK_AGENTS`, formerly `REPLY_ALLOWED_USERS`): replies, likes, hides comments, assigns, resolves, writes
 *   notes, links and tags contacts, and sees personal data;
 * - admin (`SLACK_ADMINS`): merges, erases and exports contacts, edits saved replies, posts a digest
 *   on demand, reads the audit log, manages automatic-reply rules and pauses them.
 * Every action a person can ask for is named here with the role it needs: one table, checked in one
 * place (the Slack role guard), so a new action cannot be forgotten.
 */
export type Role = 'viewer' | 'agent' | 'admin';

export type GuardedAction =
  | 'reply'
  | 'undo_reply'
  | 'like'
  | 'hide'
  | 'assign'
  | 'resolve'
  | 'relabel'
  | 'note'
  | 'link_contact'
  | 'tag'
  | 'see_personal_data'
  | 'merge'
  | 'forget'
  | 'export'
  | 'edit_saved_replies'
  | 'edit_rules'
  | 'post_digest'
  | 'read_audit';

const RANK: Record<Role, number> = { viewer: 0, agent: 1, admin: 2 };

export const REQUIRED_ROLE: Record<GuardedAction, Role> = {
  reply: 'agent',
  undo_reply: 'agent',
  like: 'agent',
  hide: 'agent',
  assign: 'agent',
  resolve: 'agent',
  relabel: 'agent',
  note: 'agent',
  link_contact: 'agent',
  tag: 'agent',
  see_personal_data: 'agent',
  merge: 'admin',
  forget: 'admin',
  export: 'admin',
  edit_saved_replies: 'admin',
  edit_rules: 'admin',
  post_digest: 'admin',
  read_audit: 'admin',
};

/** What each action is, in the words of the person refused ("… is for agents"). */
const ACTION_WORDS: Record<GuardedAction, string> = {
  reply: 'Replying on the brand’s behalf',
  undo_reply: 'Undoing a reply',
  like: 'Liking posts as the brand',
  hide: 'Hiding or unhiding comments',
  assign: 'Assigning mentions',
  resolve: 'Resolving mentions',
  relabel: 'Correcting triage labels',
  note: 'Writing notes on contacts',
  link_contact: 'Linking authors to contacts',
  tag: 'Tagging contacts',
  see_personal_data: 'Seeing contacts’ personal details',
  merge: 'Merging contacts',
  forget: 'Erasing a contact',
  export: 'Exporting a contact’s data',
  edit_saved_replies: 'Changing saved replies',
  edit_rules: 'Changing automatic-reply rules (or pausing them)',
  post_digest: 'Posting the digest on demand',
  read_audit: 'Reading the audit log',
};

export const allows = (role: Role, action: GuardedAction): boolean => RANK[role] >= RANK[REQUIRED_ROLE[action]];

/**
 * The one line a refused person reads: what is limited, to whom, and what to do about it. With no
 * admins configured at all, admin actions say how to set them up rather than whom to ask.
 */
export function describeRefusal(action: GuardedAction, options: { adminsConfigured: boolean }): string {
  const needed = REQUIRED_ROLE[action];
  const what = ACTION_WORDS[action];
  if (needed === 'admin' && !options.adminsConfigured) {
    return `${what} is for Switchboard admins, and none are set up yet: whoever runs Switchboard can name them in its settings (SLACK_ADMINS). Nothing was done.`;
  }
  const who = needed === 'admin' ? 'Switchboard admins' : 'support agents';
  return `${what} is for ${who}, and you are not one. Ask a Switchboard admin to add you if you need it. Nothing was done.`;
}
