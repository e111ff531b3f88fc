/**
 * Which language a post is written in, offline and in microseconds: the script first (kana means
 * Japanese, Han without kana Chinese), then, for Latin script, the commonest words and letters of
 * each language. Good enough to pick a sentiment threshold and to report per language; the triage
 * model itself does not depend on it being right.
 */

export const LANGUAGES = ['en', 'zh', 'es', 'fr', 'de', 'ja', 'pt'] as const;
export type Language = (typeof LANGUAGES)[number];
/** A language Switchboard has no training data for, or too little text to tell. */
export type DetectedLanguage = Language | 'und';

export const LANGUAGE_NAMES: Record<DetectedLanguage, string> = {
  en: 'English',
  zh: 'Chinese',
  es: 'Spanish',
  fr: 'French',
  de: 'German',
  ja: 'Japanese',
  pt: 'Portuguese',
  und: 'unknown',
};

const KANA = /[\p{Script=Hiragana}\p{Script=Katakana}]/u;
const HAN = /\p{Script=Han}/u;
const LATIN_WORD = /[\p{Script=Latin}']+/gu;

/** Words so common in one language, and rare in the others, that a few of them decide. */
const COMMON_WORDS: Record<Exclude<Language, 'zh' | 'ja'>, readonly string[]> = {
  en: [
    'the',
    'and',
    'is',
    'my',
    'you',
    'your',
    'it',
    'to',
    'of',
    'for',
    'this',
    'that',
    'with',
    'have',
    'not',
    'was',
    'are',
    'i',
    'me',
    'thanks',
    'thank',
    'please',
    'what',
    'why',
    'how',
    'when',
    'still',
    'just',
    'can',
    'get',
    'been',
    'love',
    'great',
    'order',
    'from',
    'any',
    'does',
    'did',
    'will',
    'there',
    'they',
    'we',
    'at',
    'on',
    'be',
    'no',
    'so',
    'but',
    'help',
    'our',
  ],
  es: [
    'el',
    'la',
    'los',
    'las',
    'que',
    'y',
    'es',
    'mi',
    'por',
    'para',
    'con',
    'una',
    'un',
    'pero',
    'muy',
    'gracias',
    'hola',
    'cuando',
    'cuándo',
    'qué',
    'cómo',
    'sigo',
    'todavía',
    'aún',
    'pedido',
    'nada',
    'del',
    'al',
    'lo',
    'se',
    'sus',
    'su',
    'hay',
    'está',
    'están',
    'esto',
    'ya',
    'nunca',
    'también',
    'puedo',
    'tengo',
    'día',
    'días',
    'semanas',
    'vuestro',
    'vuestra',
    'ustedes',
    'buenas',
    'gran',
    'servicio',
  ],
  fr: [
    'le',
    'la',
    'les',
    'et',
    'est',
    'je',
    'mon',
    'ma',
    'mes',
    'vous',
    'votre',
    'vos',
    'pour',
    'avec',
    'pas',
    'une',
    'un',
    'des',
    'du',
    'que',
    'qui',
    'merci',
    'bonjour',
    'quand',
    'comment',
    'toujours',
    'commande',
    'ne',
    'ce',
    'cette',
    'sur',
    'dans',
    'il',
    'elle',
    'on',
    'nous',
    'mais',
    'très',
    'trop',
    'rien',
    'jamais',
    "j'ai",
    'ai',
    'au',
    'aux',
    'bien',
    'super',
    'depuis',
    'semaines',
    'ça',
  ],
  de: [
    'der',
    'die',
    'das',
    'und',
    'ist',
    'ich',
    'mein',
    'meine',
    'nicht',
    'ein',
    'eine',
    'mit',
    'für',
    'auf',
    'sie',
    'ihr',
    'ihre',
    'euch',
    'euer',
    'eure',
    'danke',
    'hallo',
    'wann',
    'wie',
    'warum',
    'immer',
    'noch',
    'bestellung',
    'kein',
    'keine',
    'zu',
    'von',
    'den',
    'dem',
    'es',
    'aber',
    'sehr',
    'seit',
    'wochen',
    'schon',
    'habe',
    'hat',
    'wird',
    'bitte',
    'gibt',
    'auch',
    'nur',
    'toll',
    'super',
    'wo',
  ],
  pt: [
    'o',
    'os',
    'as',
    'e',
    'é',
    'meu',
    'minha',
    'não',
    'um',
    'uma',
    'com',
    'para',
    'por',
    'que',
    'vocês',
    'você',
    'seu',
    'sua',
    'obrigado',
    'obrigada',
    'olá',
    'oi',
    'quando',
    'como',
    'ainda',
    'pedido',
    'nada',
    'do',
    'da',
    'dos',
    'das',
    'no',
    'na',
    'em',
    'mas',
    'muito',
    'já',
    'nunca',
    'há',
    'tem',
    'estou',
    'está',
    'foi',
    'semanas',
    'dias',
    'atendimento',
    'isso',
    'esse',
    'essa',
    'vcs',
  ],
};

/** Letters that one language uses and its neighbours do not. */
const TELLING_LETTERS: Array<[RegExp, Exclude<Language, 'zh' | 'ja'>]> = [
  [/[ñ¿¡]/u, 'es'],
  [/[ãõ]/u, 'pt'],
  [/[ßäöü]/u, 'de'],
  [/[èëîïœùû]/u, 'fr'],
  [/ção|ções/u, 'pt'],
  [/ción|ciones/u, 'es'],
];

const WORD_LANGUAGES = new Map<string, Array<Exclude<Language, 'zh' | 'ja'>>>();
for (const [language, words] of Object.entries(COMMON_WORDS) as Array<[Exclude<Language, 'zh' | 'ja'>, readonly string[]]>) {
  for (const word of words) WORD_LANGUAGES.set(word, [...(WORD_LANGUAGES.get(word) ?? []), language]);
}

/** The script decides Chinese and Japanese; undefined for Latin (or no) script. */
function byScript(text: string): 'ja' | 'zh' | undefined {
  if (KANA.test(text)) return 'ja';
  if (HAN.test(text)) return 'zh';
  return undefined;
}

type LatinLanguage = Exclude<Language, 'zh' | 'ja'>;
const LATIN_LANGUAGES: readonly LatinLanguage[] = ['en', 'es', 'fr', 'de', 'pt'];

/**
 * Tells the Latin-script languages apart by their letter triples and words (naive Bayes), learned
 * from the shipped examples: Portuguese and Spanish share most short words, but not "ção" and "ción".
 * Falls back to the common-word count for text with nothing it has seen.
 */
export class LanguageIdentifier {
  private constructor(private readonly logLikelihoods: ReadonlyMap<string, Float64Array>) {}

  static train(examples: ReadonlyArray<{ text: string; language?: Language }>): LanguageIdentifier {
    const counts = new Map<string, Float64Array>();
    const totals = new Float64Array(LATIN_LANGUAGES.length);
    for (const { text, language } of examples) {
      const index = LATIN_LANGUAGES.indexOf(language as LatinLanguage);
      if (index < 0) continue;
      for (const gram of letterGrams(text)) {
        const row = counts.get(gram) ?? new Float64Array(LATIN_LANGUAGES.length);
        counts.set(gram, row);
        row[index] = (row[index] ?? 0) + 1;
        totals[index] = (totals[index] ?? 0) + 1;
      }
    }
    const vocabulary = counts.size;
    const logLikelihoods = new Map<string, Float64Array>();
    for (const [gram, row] of counts)
      logLikelihoods.set(
        gram,
        row.map((count, i) => Math.log((count + 0.5) / ((totals[i] ?? 0) + 0.5 * vocabulary))),
      );
    return new LanguageIdentifier(logLikelihoods);
  }

  detect(text: string): DetectedLanguage {
    const script = byScript(text);
    if (script) return script;
    const sums = new Float64Array(LATIN_LANGUAGES.length);
    let seen = 0;
    for (const gram of letterGrams(text)) {
      const row = this.logLikelihoods.get(gram);
      if (!row) continue;
      seen++;
      for (let i = 0; i < sums.length; i++) sums[i] = (sums[i] ?? 0) + (row[i] ?? 0);
    }
    if (seen < 3) return detectLanguage(text);
    let best = 0;
    for (let i = 1; i < sums.length; i++) if ((sums[i] ?? 0) > (sums[best] ?? 0)) best = i;
    return LATIN_LANGUAGES[best] ?? 'en';
  }
}

/** Words and letter triples of the first `MAX_WORDS` words: a language shows in a sentence or two. */
function letterGrams(text: string): string[] {
  const lower = text.toLowerCase().replace(/https?:\/\/\S+|[@#][\p{L}\p{N}_.]+/gu, ' ');
  const grams: string[] = [];
  let words = 0;
  for (const [word] of lower.matchAll(LATIN_WORD)) {
    if (++words > MAX_WORDS) break;
    grams.push(`w:${word}`);
    const padded = ` ${word} `;
    for (let i = 0; i + 3 <= padded.length; i++) grams.push(padded.slice(i, i + 3));
  }
  return grams;
}

const MAX_WORDS = 24;

/** By script, then by the commonest words and telling letters: for when no identifier was trained. */
export function detectLanguage(text: string): DetectedLanguage {
  const script = byScript(text);
  if (script) return script;
  const lower = text.toLowerCase().replace(/https?:\/\/\S+|[@#][\p{L}\p{N}_.]+/gu, ' ');
  const scores = { en: 0, es: 0, fr: 0, de: 0, pt: 0 };
  let words = 0;
  for (const [word] of lower.matchAll(LATIN_WORD)) {
    words++;
    const languages = WORD_LANGUAGES.get(word);
    if (languages) for (const language of languages) scores[language] += 1 / languages.length;
  }
  if (words === 0) return 'und';
  for (const [letters, language] of TELLING_LETTERS) if (letters.test(lower)) scores[language] += 1.5;
  let best: keyof typeof scores = 'en';
  for (const language of Object.keys(scores) as Array<keyof typeof scores>) if (scores[language] > scores[best]) best = language;
  // Latin text with no telling word at all is most often English on the networks we read.
  return best;
}
