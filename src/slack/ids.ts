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
  /** Hide / Unhide on a comment on the brand's own Facebook or Instagram post (moderation). */
  hide: 'mention_hide',
  /** The Relabel menu on a mention message; each option's value is `relabelValue(label, key)`. */
  relabel: 'mention_relabel',
  /** The Undo button on a reply announcement; its value is the outbox key. */
  undoReply: 'reply_undo',
  /** The saved-reply picker inside the reply modal. */
  pickSavedReply: 'reply_saved_pick',
  /** The text input inside the reply modal. */
  replyText: 'reply_text',
  /** The contact type-ahead (external_select) in the Link contact modal. */
  pickContact: 'contact_pick',
  newContactName: 'contact_new_name',
  /** A private conversation's parent message; each value is the conversation's key. */
  conversationReply: 'conversation_reply',
  conversationAssign: 'conversation_assign_to_me',
  conversationResolve: 'conversation_resolve',
  conversationLinkContact: 'conversation_link_contact',
  /**
   * The overflow menu beside each mention in a surge's thread (several mentions share a message):
   * each option's value is `overflowValue(verb, key)`.
   */
  mentionOverflow: 'mention_overflow',
  /** The App Home inbox's list buttons; each value is an InboxFilter. */
  homeFilter: 'home_filter',
  /** `/crm forget` asks first: these are its two answers (value: the contact ID). */
  confirmForget: 'crm_forget_confirm',
  cancelForget: 'crm_forget_cancel',
} as const;

/** What a Relabel option carries: the new label and the mention (a menu has no value of its own). */
export const relabelValue = (label: string, mentionKey: string): string => `${label}|${mentionKey}`;

export function parseRelabelValue(value: string): { label: string; mentionKey: string } | undefined {
  const bar = value.indexOf('|');
  if (bar <= 0 || bar === value.length - 1) return undefined;
  return { label: value.slice(0, bar), mentionKey: value.slice(bar + 1) };
}

export const BLOCK = {
  mentionActions: 'mention_actions',
  conversationActions: 'conversation_actions',
  /** Prefix: the input's block_id changes when a saved reply refills it (Slack keeps a typed value otherwise). */
  replyText: 'reply_text',
  savedReplies: 'reply_saved',
  contactPick: 'contact_pick',
  newContactName: 'contact_new_name',
} as const;

export const VIEW = {
  replyModal: 'reply_modal',
  linkContactModal: 'link_contact_modal',
  /** Add or edit an automatic-reply rule (`/crm rules add`, `/crm rules edit <name>`). */
  ruleModal: 'auto_reply_rule_modal',
} as const;

/**
 * The fields of the rule modal: each input's block_id and its element's action_id are the same
 * word, so a submission is read as `values[field][field]`.
 */
export const RULE_FIELD = {
  name: 'rule_name',
  platforms: 'rule_platforms',
  kinds: 'rule_kinds',
  labels: 'rule_labels',
  languages: 'rule_languages',
  keywords: 'rule_keywords',
  pattern: 'rule_pattern',
  contact: 'rule_contact',
  tag: 'rule_tag',
  hours: 'rule_hours',
  savedReply: 'rule_saved_reply',
  assignTo: 'rule_assign_to',
  notifyChannel: 'rule_notify_channel',
  dailyCap: 'rule_daily_cap',
  continueAfter: 'rule_continue',
} as const;

/** Message metadata event type carried by every mention message: how a restart finds what it already posted. */
export const MENTION_METADATA_EVENT = 'switchboard_mention';

/** Metadata event type of a reply announcement: a restart finds it in the thread instead of announcing twice. */
export const REPLY_METADATA_EVENT = 'switchboard_reply';

/** What an erased message carries instead of its old metadata (which named the post). */
export const ERASED_METADATA_EVENT = 'switchboard_erased';

/** Carried by every digest message, so a restart can tell whether a digest is already posted. */
export const DIGEST_METADATA_EVENT = 'switchboard_digest';

export const SLASH_COMMAND = '/crm';

/** Carried by a private conversation's parent message: a restart finds the thread instead of opening a second. */
export const CONVERSATION_METADATA_EVENT = 'switchboard_conversation';

/** Carried by each customer message posted into a conversation's thread. */
export const DIRECT_MESSAGE_METADATA_EVENT = 'switchboard_direct_message';

/** Carried by what an automatic-reply rule posts (a dry run in a thread, a note to a channel). */
export const AUTOMATION_METADATA_EVENT = 'switchboard_automation';

/** What a surge-thread overflow option carries: what to do, and to which mention. */
export type OverflowVerb = 'reply' | 'like' | 'assign' | 'resolve' | 'hide';
export const overflowValue = (verb: OverflowVerb, mentionKey: string): string => `${verb}|${mentionKey}`;

export function parseOverflowValue(value: string): { verb: OverflowVerb; mentionKey: string } | undefined {
  const bar = value.indexOf('|');
  const verb = value.slice(0, bar);
  if (bar <= 0 || !['reply', 'like', 'assign', 'resolve', 'hide'].includes(verb)) return undefined;
  return { verb: verb as OverflowVerb, mentionKey: value.slice(bar + 1) };
}

/** Carried by a surge's message (one per surge per channel). */
export const SURGE_METADATA_EVENT = 'switchboard_surge';

/** Carried by a message in a surge's thread holding several mentions: their keys, space-separated. */
export const MENTION_BATCH_METADATA_EVENT = 'switchboard_mention_batch';
