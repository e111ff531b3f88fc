import { createRequire, Module } from 'node:module';
import type * as TwitterText from 'twitter-text';

/**
 * twitter-text (X's own rules for weighted length and URLs), loaded so that it cannot slow the rest
 * of the process down.
 *
 * twitter-text 3 requires core-js 2 polyfills. One of them, es6.regexp.split, probes the engine by
 * giving a regular expression its own `constructor`, and that one assignment switches V8's fast
 * path for regular expressions off in the whole process, for good: triage ran 5× slower (12k
 * instead of 68k classifications a second) in any process that had loaded twitter-text. Node 20's
 * split needs no polyfill, so that module is answered with an empty one before twitter-text loads;
 * what twitter-text itself calls is then the engine's own split. test/unit/reply-text.test.ts
 * holds both ends: the speed, and twitter-text's answers.
 */
const require = createRequire(import.meta.url);
const polyfill = require.resolve('core-js/modules/es6.regexp.split', { paths: [require.resolve('twitter-text')] });
const empty = new Module(polyfill);
empty.loaded = true;
empty.exports = {};
require.cache[polyfill] ??= empty;

/** Whether the polyfill was kept out (false if something loaded twitter-text, or core-js's split, before this module). */
export const isSplitPolyfillKeptOut = (): boolean => require.cache[polyfill] === empty;

export const twitterText: typeof TwitterText = require('twitter-text');
