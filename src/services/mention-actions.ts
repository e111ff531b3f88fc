import type { MentionRecord } from '../domain/records.ts';
import type { Log } from '../log.ts';
import { type Platform, PlatformError, type PlatformId } from '../platforms/platform.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { MentionMessages } from './mention-messages.ts';
import type { Store } from './repositories.ts';

/** Presses this close to a like are the same press (a double-click), not a request to take it back. */
const SAME_PRESS_MS = 3_000;

/** What the person who pressed a button is told (only they see it); undefined when the message update says it all. */
export type ActionAnswer = string | undefined;

/**
 * Like, Assign to me and Resolve. Each updates the mention message in place; Like is public and
 * so is limited to the people allowed to act for the brand, audited, and done at most once.
 */
export class MentionActions {
  private readonly mutex = new KeyedMutex();

  constructor(
    private readonly store: Store,
    private readonly platforms: ReadonlyMap<PlatformId, Platform>,
    private readonly messages: MentionMessages,
    private readonly log: Log,
    private readonly now: () => Date = () => new Date(),
    /** Told when a person takes a mention over (assigns or resolves it): a rule's reply waiting on it is cancelled. */
    private readonly onPersonActed?: (mentionKey: string, userId: string, what: string) => Promise<void>,
  ) {}

  /** The mention behind a button or a form, if it is still known (an erasure may have removed it). */
  find(mentionKey: string): Promise<MentionRecord | undefined> {
    return this.store.mentions.get(mentionKey);
  }

  like(mentionKey: string, userId: string): Promise<ActionAnswer> {
    return this.mutex.run(mentionKey, async () => {
      const mention = await this.store.mentions.get(mentionKey);
      if (!mention) return 'This mention is not known to Switchboard.';
      const platform = this.platforms.get(mention.mention.platform);
      if (!platform) return `${mention.mention.platform} is not configured, so nothing was liked.`;
      const liked = mention.workflow?.liked;
      // A double-click (or two people at once) is one like: only a press a few seconds later takes it back.
      if (liked && this.now().getTime() - Date.parse(liked.at) < SAME_PRESS_MS) return `Already liked by <@${liked.by}>.`;
      if (liked) return this.unlike(mention, platform, userId);
      try {
        await platform.like(mention.mention.id);
      } catch (error) {
        const reason = error instanceof PlatformError ? error.message : String(error);
        await this.store.audit.record({ actor: userId, action: 'refused', mentionKey, detail: `like failed: ${reason}` });
        this.log.warn(`like of ${mentionKey} failed`, { error });
        return `Not liked: ${reason}.`;
      }
      await this.store.audit.record({ actor: userId, action: 'like', mentionKey, platformPostId: mention.mention.id });
      await this.messages.update(mentionKey, (workflow) => ({ ...workflow, liked: { by: userId, at: this.now().toISOString() } }));
      return undefined;
    });
  }

  /** Pressing Liked takes the like back, where the network lets an app do it. */
  private async unlike(mention: MentionRecord, platform: Platform, userId: string): Promise<ActionAnswer> {
    const liked = mention.workflow?.liked;
    if (!platform.unlike) {
      return `Liked by <@${liked?.by}>. ${platform.displayName} does not let Switchboard take a like back: do it in the ${platform.displayName} app.`;
    }
    try {
      await platform.unlike(mention.mention.id);
    } catch (error) {
      const reason = error instanceof PlatformError ? error.message : String(error);
      this.log.warn(`unlike of ${mention.key} failed`, { error });
      return `The like stays: ${reason}.`;
    }
    await this.store.audit.record({ actor: userId, action: 'unlike', mentionKey: mention.key, platformPostId: mention.mention.id });
    await this.messages.update(mention.key, (workflow) => ({ ...workflow, liked: undefined }));
    return undefined;
  }

  /**
   * Hides a comment on the brand's own post from everyone but its author (abuse, spam), or shows it
   * again: a moderation step on the network, audited, and shown on the message.
   */
  toggleHidden(mentionKey: string, userId: string): Promise<ActionAnswer> {
    return this.mutex.run(mentionKey, async () => {
      const mention = await this.store.mentions.get(mentionKey);
      if (!mention) return 'This mention is not known to Switchboard.';
      const platform = this.platforms.get(mention.mention.platform);
      if (!platform?.setHidden || !mention.mention.canHide) {
        return `${platform?.displayName ?? mention.mention.platform} does not let the brand hide this post.`;
      }
      if (mention.workflow?.removed) return 'Its author deleted it: there is nothing left to hide.';
      const hide = !mention.workflow?.hidden;
      try {
        await platform.setHidden(mention.mention.id, hide);
      } catch (error) {
        const reason = error instanceof PlatformError ? error.message : String(error);
        await this.store.audit.record({
          actor: userId,
          action: 'refused',
          mentionKey,
          detail: `${hide ? 'hide' : 'unhide'} failed: ${reason}`,
        });
        this.log.warn(`${hide ? 'hiding' : 'unhiding'} ${mentionKey} failed`, { error });
        return `Not ${hide ? 'hidden' : 'shown again'}: ${reason}.`;
      }
      await this.store.audit.record({ actor: userId, action: hide ? 'hide' : 'unhide', mentionKey, platformPostId: mention.mention.id });
      await this.messages.update(mentionKey, (workflow) => ({
        ...workflow,
        hidden: hide ? { by: userId, at: this.now().toISOString() } : undefined,
      }));
      return undefined;
    });
  }

  /** Assigns to the presser; their second press unassigns; someone else's press is told who owns it. */
  assign(mentionKey: string, userId: string): Promise<ActionAnswer> {
    return this.mutex.run(mentionKey, async () => {
      const mention = await this.store.mentions.get(mentionKey);
      if (!mention) return 'This mention is not known to Switchboard.';
      const owner = mention.workflow?.assignee;
      if (owner && owner !== userId) return `<@${owner}> owns this one. Ask them before taking it over.`;
      const taken = await this.messages.update(mentionKey, (workflow) => ({ ...workflow, assignee: owner ? undefined : userId }));
      if (taken.workflow?.assignee === userId) await this.onPersonActed?.(mentionKey, userId, 'assigned');
      return undefined;
    });
  }

  toggleResolved(mentionKey: string, userId: string): Promise<ActionAnswer> {
    return this.mutex.run(mentionKey, async () => {
      const mention = await this.store.mentions.get(mentionKey);
      if (!mention) return 'This mention is not known to Switchboard.';
      const isResolved = Boolean(mention.workflow?.resolved);
      await this.messages.update(mentionKey, (workflow) => ({
        ...workflow,
        resolved: isResolved ? undefined : { by: userId, at: this.now().toISOString() },
      }));
      if (!isResolved) await this.onPersonActed?.(mentionKey, userId, 'resolved');
      return undefined;
    });
  }
}
