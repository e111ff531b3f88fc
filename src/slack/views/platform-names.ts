import type { PlatformId } from '../../platforms/platform.ts';

/** How each network is named in Slack. */
export const PLATFORM_NAME: Record<PlatformId, string> = {
  x: 'X',
  mastodon: 'Mastodon',
  bluesky: 'Bluesky',
  facebook: 'Facebook',
  instagram: 'Instagram',
};

/** Networks whose API can like what people write to the brand (Instagram's cannot like comments). */
export const CAN_LIKE: Record<PlatformId, boolean> = { x: true, mastodon: true, bluesky: true, facebook: true, instagram: false };

/** Networks where people have a handle to show; Facebook names people only by name (and an ID scoped to the Page). */
export const HAS_HANDLES: Record<PlatformId, boolean> = { x: true, mastodon: true, bluesky: true, facebook: false, instagram: true };

/**
 * Each network's mark beside its name: emoji every Slack workspace has (𝕏 is the letter X's own
 * logo form), so no image is fetched from outside and nothing breaks when a logo URL moves.
 */
export const PLATFORM_ICON: Record<PlatformId, string> = {
  x: '𝕏',
  mastodon: ':elephant:',
  bluesky: ':butterfly:',
  facebook: ':blue_book:',
  instagram: ':camera_with_flash:',
};
