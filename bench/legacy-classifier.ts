/// <reference path="../src/domain/natural-modules.d.ts" />
// natural's parts, not its index (which loads the whole library): see natural-modules.d.ts.
import SentimentAnalyzer from 'natural/lib/natural/sentiment/SentimentAnalyzer.js';
import PorterStemmer from 'natural/lib/natural/stemmers/porter_stemmer.js';
import { WordTokenizer } from 'natural/lib/natural/tokenizers/regexp_tokenizer.js';

import type { Label, SentimentLabel } from '../src/domain/triage/labels.ts';

/**
 * The first triage model (until issue 14), kept for the bench to compare against: natural's Bayes
 * over stemmed English words and hand-picked cue words, AFINN sentiment at ±0.1. The bench trains it
 * on the same examples as the new model and compares them on the same held-out fifth.
 */

export interface Sentiment {
  /** AFINN average per word, roughly -5 … 5; most posts land within ±1. */
  score: number;
  label: SentimentLabel;
}

export interface Classification {
  label: Label;
  sentiment: Sentiment;
}

export interface LabelledText {
  text: string;
  label: Label;
}

/** A score beyond ±this is called positive or negative; AFINN averages sit near zero for plain text. */
const SENTIMENT_THRESHOLD = 0.1;

const tokenizer = new WordTokenizer();
const sentimentAnalyzer = new SentimentAnalyzer('English', undefined, 'afinn');

/** Opening words that make a sentence a question even without a question mark. */
const QUESTION_OPENERS = new Set([
  'how',
  'what',
  'when',
  'where',
  'which',
  'who',
  'why',
  'is',
  'are',
  'do',
  'does',
  'can',
  'could',
  'would',
  'will',
  'should',
  'any',
  'wondering',
  'need',
  'looking',
  'tell',
  'please',
  'trying',
]);

/**
 * Hand-picked cue words. With a few hundred examples, a bag of words alone learns the products
 * mentioned more than the intent; these cues carry the intent across products.
 */
const CUES: Record<string, readonly string[]> = {
  problem: [
    'still',
    'not',
    'never',
    'no',
    'nobody',
    'nothing',
    'broke',
    'broken',
    'faulty',
    'wrong',
    'missing',
    'lost',
    'refund',
    'charged',
    'twice',
    'double',
    'crash',
    'crashes',
    'crashed',
    'crashing',
    'waiting',
    'waited',
    'delayed',
    'late',
    'damaged',
    'leaks',
    'leak',
    'error',
    'cancelled',
    'hold',
    'ignore',
    'ignores',
    'ignored',
    'unacceptable',
    'ridiculous',
    'disappointed',
    'annoyed',
    'frustrated',
    'worst',
    'terrible',
    'rubbish',
    'joke',
    'again',
    'already',
    'days',
    'weeks',
    'month',
    'hasnt',
    'didnt',
    'doesnt',
    'wont',
    'cant',
    'isnt',
    'nowhere',
    'rude',
    'fed',
    'done',
    'hangs',
    'stuck',
    'tear',
    'torn',
    'snapped',
    'cracked',
    'undone',
    'apart',
    'smells',
    'hole',
    'unusable',
    'slow',
    'locked',
    'fee',
    'avoid',
    'zero',
    'soaked',
  ],
  gratitude: [
    'thank',
    'thanks',
    'love',
    'loved',
    'loving',
    'great',
    'amazing',
    'best',
    'brilliant',
    'awesome',
    'fantastic',
    'perfect',
    'perfectly',
    'happy',
    'appreciate',
    'legends',
    'rock',
    'kudos',
    'props',
    'cheers',
    'impressed',
    'delighted',
    'superb',
    'incredible',
    'lovely',
    'beautiful',
    'stunning',
    'glad',
    'proud',
    'grateful',
    'worth',
    'recommend',
    'comfy',
    'comfortable',
    'nailed',
    'stars',
    'favourite',
    'favorite',
    'obsessed',
    'joy',
    'kind',
  ],
  request: [
    'how',
    'what',
    'whats',
    'when',
    'where',
    'which',
    'whether',
    'if',
    'can',
    'could',
    'would',
    'do',
    'does',
    'is',
    'are',
    'any',
    'wondering',
    'curious',
    'know',
    'recommend',
    'advice',
    'help',
    'need',
    'looking',
    'possible',
    'way',
    'confirm',
    'explain',
    'tell',
  ],
};
const CUE_OF = new Map(Object.entries(CUES).flatMap(([cue, list]) => list.map((word) => [word, cue] as const)));

function words(text: string): string[] {
  const withoutNoise = text
    .toLowerCase()
    .replace(/https?:\/\/\S+/g, ' ')
    .replace(/@\w+/g, ' ')
    .replace(/[’']/g, '');
  return tokenizer.tokenize(withoutNoise) ?? [];
}

export function scoreSentiment(text: string): Sentiment {
  const tokens = words(text);
  const raw = tokens.length === 0 ? 0 : sentimentAnalyzer.getSentiment(tokens);
  const score = Number.isFinite(raw) ? Math.round(raw * 100) / 100 : 0;
  const label: SentimentLabel = score > SENTIMENT_THRESHOLD ? 'positive' : score < -SENTIMENT_THRESHOLD ? 'negative' : 'neutral';
  return { score, label };
}

/**
 * Features: stemmed words (stop words kept: "why", "not" and "still" carry the meaning here),
 * intent cues, and a few signals a bag of words misses: a question mark, a question opener,
 * the sentiment's sign, shouting and repeated punctuation.
 */
export function featuresOf(text: string, sentiment: Sentiment = scoreSentiment(text)): string[] {
  const tokens = words(text);
  const features = tokens.map((token) => PorterStemmer.stem(token));
  if (text.includes('?')) features.push('__question_mark__');
  if (/[?!]{2,}/.test(text)) features.push('__insistent__');
  if (/\b[A-Z]{4,}\b/.test(text.replace(/@\w+/g, ''))) features.push('__shouting__');
  if (tokens[0] && QUESTION_OPENERS.has(tokens[0])) features.push('__opens_like_question__', `__opens_${tokens[0]}__`);
  let cues = 0;
  for (const token of tokens) {
    const cue = CUE_OF.get(token);
    if (cue) {
      features.push(`__cue_${cue}__`);
      cues++;
    }
  }
  // Chatter rarely asks, thanks or complains, and rarely speaks to the brand as "you".
  if (cues === 0) features.push('__no_cue__', '__no_cue__');
  if (!tokens.some((token) => token === 'you' || token === 'your' || token === 'youre')) features.push('__not_addressed__');
  if (tokens.length <= 3) features.push('__short__');
  features.push(`__sentiment_${sentiment.label}__`);
  return features;
}

export class MentionClassifier {
  private readonly bayes: SparseBayes;

  constructor(examples: LabelledText[]) {
    this.bayes = new SparseBayes(examples.map((example) => ({ features: featuresOf(example.text), label: example.label })));
  }

  classify(text: string): Classification {
    const sentiment = scoreSentiment(text);
    return { label: this.bayes.classify(featuresOf(text, sentiment)), sentiment };
  }
}

/**
 * natural's BayesClassifier, evaluated sparsely. natural turns every text into a vector over the
 * whole vocabulary and each class then walks all of it (~150 µs a mention here, most of the ingest
 * pipeline's time); the score only depends on the features present, so this sums over those: the
 * same model (features present in a class's documents, smoothing 1, the same priors), the same
 * labels, in a few microseconds.
 */
class SparseBayes {
  private readonly vocabulary = new Map<string, number>();
  private readonly classes: Array<{ label: Label; prior: number; logLikelihood: Float64Array }>;

  constructor(documents: Array<{ features: string[]; label: Label }>) {
    for (const { features } of documents)
      for (const feature of features) if (!this.vocabulary.has(feature)) this.vocabulary.set(feature, this.vocabulary.size);
    const totalExamples = 1 + documents.length; // natural starts at one to smooth
    const byLabel = new Map<Label, { documents: number; present: Float64Array }>();
    for (const { features, label } of documents) {
      const counts = byLabel.get(label) ?? { documents: 1, present: new Float64Array(this.vocabulary.size) };
      byLabel.set(label, counts);
      counts.documents += 1;
      for (const index of this.indexesOf(features)) counts.present[index] = (counts.present[index] ?? 0) + 1;
    }
    this.classes = [...byLabel].map(([label, { documents: total, present }]) => ({
      label,
      prior: total / totalExamples,
      // natural counts a feature seen in n of a class's documents as n + smoothing, an unseen one as smoothing.
      logLikelihood: present.map((count) => Math.log((count + SMOOTHING) / total)),
    }));
  }

  classify(features: string[]): Label {
    const present = this.indexesOf(features);
    let best: { label: Label; value: number } | undefined;
    for (const { label, prior, logLikelihood } of this.classes) {
      let sum = 0;
      for (const index of present) sum += logLikelihood[index] ?? 0;
      const value = prior * Math.exp(sum);
      if (!best || value > best.value) best = { label, value };
    }
    return best?.label ?? 'Other';
  }

  /** The vocabulary indexes of the features, each once, highest first (natural's summing order). */
  private indexesOf(features: string[]): number[] {
    const indexes = new Set<number>();
    for (const feature of features) {
      const index = this.vocabulary.get(feature);
      if (index !== undefined) indexes.add(index);
    }
    return [...indexes].sort((a, b) => b - a);
  }
}

const SMOOTHING = 1;
