import type { PlatformId } from '../../platforms/platform.ts';

/** How each network is named in Slack. */
export const PLATFORM_NAME: Record<PlatformId, string> = {
  x: 'X',
  mastodon: 'Mastodon',
  bluesky: 'Bluesky',
  facebook: 'Facebook',
  instagram: 'Instagram',
};

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
