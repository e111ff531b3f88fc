import { cueFeatures } from './cues.ts';
import { type DetectedLanguage, detectLanguage, type Language } from './language.ts';
import { lexiconFor } from './lexicon.ts';

/** What is known about a post besides its text: who it speaks to. */
export interface TextContext {
  /** The brand's own handles, without @. A post that opens with one is spoken to the brand. */
  brandHandles?: readonly string[];
  /** The post answers one of the brand's own posts. */
  repliesToBrand?: boolean;
}

export interface TextFeatures {
  language: DetectedLanguage;
  /** Feature names, repeated as often as they occur. */
  features: string[];
}

const segmenter = new Intl.Segmenter('und', { granularity: 'word' });
const CJK_CHARACTER = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
/** A word of a spaced script (letters, with inner apostrophes and hyphens), a number, or a sentence end. */
const SPACED_TOKEN = /\p{L}[\p{L}\p{M}]*(?:['’-]\p{L}[\p{L}\p{M}]*)*|\p{N}+(?:[.,:/]\p{N}+)*|[.!?\n]+/gu;

/** Words of text written without spaces (Chinese, Japanese), found by ICU's dictionary. */
function segmentedWords(body: string): string[] {
  const words: string[] = [];
  for (const { segment, isWordLike } of segmenter.segment(body)) {
    if (!isWordLike) {
      if (/[.!?。！？\n]/u.test(segment)) words.push('</s>');
      continue;
    }
    words.push(DIGITS.test(segment) ? '<num>' : segment.replace(/^#/, ''));
  }
  return words;
}

/** Words of text written with spaces: a regular expression does what the segmenter does, five times faster. */
function spacedWords(body: string): string[] {
  const words: string[] = [];
  for (const [token] of body.matchAll(SPACED_TOKEN)) {
    const first = token.charCodeAt(0);
    if (first === 46 || first === 33 || first === 63 || first === 10) words.push('</s>');
    else words.push(DIGITS.test(token) ? '<num>' : token);
  }
  return words;
}

const URL = /https?:\/\/\S+|www\.\S+/giu;
/** `@name`, Mastodon's `@name@server`, Bluesky's `@name.bsky.social`. */
const HANDLE = /(?<![\p{L}\p{N}_])@([\p{L}\p{N}_]+(?:[.@][\p{L}\p{N}_-]+)*)/gu;
const LEADING_HANDLES = /^(?:\s*@[\p{L}\p{N}_]+(?:[.@][\p{L}\p{N}_-]+)*[,:]?)+/u;
const EMOJI = /\p{Extended_Pictographic}/gu;
const CJK_RUN = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}ー]+/gu;
const ELONGATED = /(\p{L})\1{2,}/gu;
const SHOUTED_WORD = /\b\p{Lu}{4,}\b/u;
const DIGITS = /^\p{N}+([.,:/]\p{N}+)*$/u;
const MARKS = /\p{M}/gu;
const LATIN_LETTER = /\p{Script=Latin}/u;

/**
 * Turns a post into the features the triage and sentiment models weigh. Unicode all the way:
 * NFKC folds full-width punctuation and letters (？ is ?), `Intl.Segmenter` finds words in
 * Chinese and Japanese, character pairs carry CJK where segmentation differs, Latin words keep
 * their accents and gain a folded twin (México and Mexico), emoji are tokens, elongations
 * ("sooo") are squeezed and flagged. Handles and links are replaced by what they say about the
 * post (addressed to the brand or to someone else; has a link), never by who they name.
 */
export function textFeatures(
  text: string,
  context: TextContext = {},
  language: { known?: Language; identify?: (text: string) => DetectedLanguage } = {},
): TextFeatures {
  const features: string[] = [];
  // Markup people type or paste (`<b>…</b>`) says nothing about intent; the words inside it do.
  const normalized = text.normalize('NFKC').replace(MARKUP, ' ');
  const addressed = addressFeatures(normalized, context, features);
  ratingFeatures(normalized, features);

  let body = normalized.replace(URL, () => {
    features.push('<url>');
    return ' ';
  });
  body = body.replace(HANDLE, ' ');
  if (SHOUTED_WORD.test(body)) features.push('<shouting>');
  body = body.toLowerCase().replace(ELONGATED, (_, letter: string) => {
    features.push('<elongated>');
    return letter + letter;
  });
  punctuationFeatures(body, features);
  for (const [emoji] of body.matchAll(EMOJI)) features.push(`e:${emoji}`);

  const detected = language.known ?? (language.identify ?? detectLanguage)(body);
  features.push(`lang:${detected}`);

  const words = CJK_CHARACTER.test(body) ? segmentedWords(body) : spacedWords(body);
  let previous = '<s>';
  let wordCount = 0;
  for (const word of words) {
    if (word === '</s>') {
      previous = '<s>';
      continue;
    }
    wordCount++;
    const folded = LATIN_LETTER.test(word) ? word.normalize('NFD').replace(MARKS, '') : word;
    features.push(`w:${word}`);
    if (folded !== word) features.push(`w:${folded}`);
    features.push(`b:${previous} ${folded}`);
    if (folded.length >= 5 && LATIN_LETTER.test(folded)) {
      // Word pieces carry inflections (bestellt, bestellung; atrasado, atraso) across the examples.
      const padded = `<${folded}>`;
      for (let i = 0; i + 4 <= padded.length; i++) features.push(`c:${padded.slice(i, i + 4)}`);
    }
    previous = folded;
  }
  for (const [run] of body.matchAll(CJK_RUN)) {
    for (let i = 0; i < run.length; i++) {
      features.push(`k:${run[i]}`);
      if (i + 1 < run.length) features.push(`k:${run.slice(i, i + 2)}`);
    }
  }
  if (wordCount <= 3) features.push('<short>');
  else if (wordCount > 30) features.push('<long>');
  if (detected !== 'und') {
    lexiconFeatures(detected, words, body, features);
    // Who is spoken to changes what a cue means: "still waiting" to the brand is a complaint,
    // to a friend about a bus it is chatter.
    for (const cue of cueFeatures(detected, words, body, features)) features.push(`x:${addressed}:${cue}`);
  }
  return { language: detected, features };
}

type Addressee = 'brand' | 'someone-else' | 'nobody' | 'unknown';

const MARKUP = /<\/?[a-z][a-z0-9]*(?:\s[^<>]*)?>/gi;
/** "10/10", "5/5", "5 stars", "★★★★★": a verdict in any language, and one the words around it rarely give away. */
const HIGH_RATING =
  /(?<![\d/])(?:10|9|8)\s?\/\s?10(?!\d)|(?<![\d/])5\s?\/\s?5(?!\d)|(?<!\d)5\s?(?:stars?|estrellas|étoiles|sterne|estrelas|星)|[⭐★]{4,}/iu;
const LOW_RATING =
  /(?<![\d/])[0-3]\s?\/\s?10(?!\d)|(?<![\d/])[01]\s?\/\s?5(?!\d)|(?<!\d)(?:0|1|one|zero)\s?stars?\b|(?<![⭐★])[⭐★](?![⭐★])/iu;

function ratingFeatures(text: string, features: string[]): void {
  if (HIGH_RATING.test(text)) features.push('<rating+>');
  else if (LOW_RATING.test(text)) features.push('<rating->');
}

function addressFeatures(text: string, context: TextContext, features: string[]): Addressee {
  // A Mastodon account is `name@server`, written `@name` by people on its own server: either counts.
  const brand = new Set(
    context.brandHandles?.flatMap((handle) => {
      const full = handle.toLowerCase().replace(/^@/, '');
      return [full, full.split('@')[0] ?? full];
    }),
  );
  const leading = new Set([...(text.match(LEADING_HANDLES)?.[0] ?? '').matchAll(HANDLE)].map((match) => (match[1] ?? '').toLowerCase()));
  const all = [...text.matchAll(HANDLE)].map((match) => (match[1] ?? '').toLowerCase());
  if (leading.size > 0) features.push('@lead');
  if (all.length > leading.size) features.push('@inside');
  if (all.length >= 3) features.push('@many');
  if (context.repliesToBrand) features.push('@reply-to-brand');
  if (brand.size === 0) return context.repliesToBrand ? 'brand' : leading.size > 0 ? 'unknown' : all.length > 0 ? 'unknown' : 'nobody';
  const brandLeads = [...leading].some((handle) => brand.has(handle));
  if (brandLeads) {
    features.push('@brand-lead');
    return 'brand';
  }
  if (leading.size > 0) {
    features.push('@other-lead');
    return context.repliesToBrand ? 'brand' : 'someone-else';
  }
  if (all.some((handle) => brand.has(handle))) {
    features.push('@brand-inside');
    return 'brand';
  }
  if (context.repliesToBrand) return 'brand';
  features.push('@brand-absent');
  return 'nobody';
}

function punctuationFeatures(body: string, features: string[]): void {
  if (/[?¿]/u.test(body)) features.push('<?>');
  if (/\?\s*(\p{Extended_Pictographic}\s*)*$/u.test(body.trimEnd())) features.push('<?end>');
  if (body.includes('!')) features.push('<!>');
  if (/[!?]{2,}/u.test(body)) features.push('<insist>');
  if (/\.\.\.|…/u.test(body)) features.push('<ellipsis>');
}

/**
 * Polar words of the post's language (and English, which every language's posts borrow), turned
 * around after a negation within two words. Chinese and Japanese entries are found inside the text.
 */
function lexiconFeatures(language: Language, words: readonly string[], body: string, features: string[]): void {
  const lexicons = language === 'en' ? [lexiconFor('en')] : [lexiconFor(language), lexiconFor('en')];
  const own = lexicons[0];
  if (!own) return;
  let balance = 0;
  const polar = (polarity: number, negated: boolean) => {
    const sign = polarity > 0 !== negated ? '+' : '-';
    features.push(`lex:${sign}`, negated ? 'lex:negated' : `lex:${sign}${Math.abs(polarity) >= 0.5 ? 'strong' : 'weak'}`);
    balance += sign === '+' ? 1 : -1;
  };
  for (let i = 0; i < words.length; i++) {
    const word = words[i] ?? '';
    let polarity: number | undefined;
    for (const lexicon of lexicons) {
      polarity = lexicon.words.get(word);
      if (polarity !== undefined) break;
    }
    if (polarity === undefined || polarity === 0) continue;
    polar(polarity, own.negations.has(words[i - 1] ?? '') || own.negations.has(words[i - 2] ?? ''));
  }
  // Longest entries first, each match blanked out, so 很好 is not also counted as 好.
  let rest = body;
  for (const [phrase, polarity] of own.phrases) {
    let at = rest.indexOf(phrase);
    while (at >= 0) {
      const before = rest.slice(Math.max(0, at - 2), at);
      let negated = false;
      for (const negation of own.negations) negated ||= before.endsWith(negation);
      polar(polarity, negated);
      rest = rest.slice(0, at) + ' '.repeat(phrase.length) + rest.slice(at + phrase.length);
      at = rest.indexOf(phrase, at + phrase.length);
    }
  }
  if (balance > 0) features.push('lex:balance+');
  else if (balance < 0) features.push('lex:balance-');
}
