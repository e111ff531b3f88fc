/**
 * Every ID that Slack echoes back to Switchboard, in one place: the views set them, the listeners
 * match on them, and `manifest.yml` names the command and the metadata event type.
 */
export const ACTION = {
  reply: 'mention_reply',
  like: 'mention_like',
  linkContact: 'mention_link_contact',
  assignToMe: 'mention_assign_to_me',
  resolve: 'mention_resolve',
} as const;

export const BLOCK = {
  mentionActions: 'mention_actions',
} as const;

/** Message metadata event type carried by every mention message: how a restart finds what it already posted. */
export const MENTION_METADATA_EVENT = 'switchboard_mention';

export const SLASH_COMMAND = '/crm';
