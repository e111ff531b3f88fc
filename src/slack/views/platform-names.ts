import type { PlatformId } from '../../platforms/platform.ts';

/** How each network is named in Slack. */
export const PLATFORM_NAME: Record<PlatformId, string> = { x: 'X', mastodon: 'Mastodon', bluesky: 'Bluesky' };
