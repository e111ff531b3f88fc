import { type Classification, LABELS, type Label, SENTIMENT_LABELS, type SentimentLabel } from './labels.ts';
import { type DetectedLanguage, type Language, LanguageIdentifier } from './language.ts';
import { DEFAULT_TRAINING, SoftmaxRegression, type SparseVector, Vocabulary } from './linear-model.ts';
import { type TextContext, textFeatures } from './text-features.ts';
import { loadShippedExamples } from './training-data.ts';

export interface TriageExample {
  text: string;
  label: Label;
  /** Absent for examples with no sentiment judgement (staff corrections): they train the label only. */
  sentiment?: SentimentLabel;
  /** Known for the shipped data; detected otherwise. */
  language?: Language;
  context?: TextContext;
  /** How much this example counts (a staff correction counts more than a shipped example). */
  weight?: number;
}

/** What ingest needs from triage: a label, sentiment and language for a post. */
export interface MentionClassifier {
  classify(text: string, context?: TextContext): Classification;
}

/** In the shipped examples, `@brand` stands for the brand's own handle. */
export const SHIPPED_BRAND_HANDLE = 'brand';

interface Prepared {
  vector: SparseVector;
  label: number;
  sentiment?: number;
  language: DetectedLanguage;
  weight?: number;
}

/**
 * The triage and sentiment models, trained together on the same features. Sentiment is called
 * positive or negative once P(positive) − P(negative) passes a threshold per language, chosen on
 * examples the sentiment model did not train on.
 */
export class TriageModel implements MentionClassifier {
  private constructor(
    private readonly languages: LanguageIdentifier,
    private readonly vocabulary: Vocabulary,
    private readonly labels: SoftmaxRegression,
    private readonly sentiment: SoftmaxRegression,
    private readonly thresholds: ReadonlyMap<DetectedLanguage, number>,
  ) {}

  static train(examples: readonly TriageExample[]): TriageModel {
    const languages = LanguageIdentifier.train(examples);
    const vocabulary = new Vocabulary(featureWeight);
    const prepared = examples.map((example, i) => prepare(vocabulary, languages, example, i));
    const labels = SoftmaxRegression.train(
      prepared.map(({ vector, label, weight }) => ({ vector, label, weight })),
      LABELS.length,
      vocabulary.size,
    );
    const withSentiment = prepared.filter((example): example is Prepared & { sentiment: number } => example.sentiment !== undefined);
    const trainSentiment = (documents: typeof withSentiment) =>
      SoftmaxRegression.train(
        documents.map(({ vector, sentiment }) => ({ vector, label: sentiment })),
        SENTIMENT_LABELS.length,
        vocabulary.size,
        { ...DEFAULT_TRAINING, epochs: 8, seed: 11 },
      );
    // Thresholds from a model that has not seen the quarter it is tuned on, then the model from all.
    const tuning = withSentiment.filter((_, i) => i % 4 === 3);
    const thresholds = chooseThresholds(trainSentiment(withSentiment.filter((_, i) => i % 4 !== 3)), tuning);
    return new TriageModel(languages, vocabulary, labels, trainSentiment(withSentiment), thresholds);
  }

  classify(text: string, context: TextContext = {}): Classification {
    const { language, vector } = this.analyse(text, context);
    const probabilities = this.labels.probabilities(vector);

    let best = 0;
    for (let c = 1; c < probabilities.length; c++) if ((probabilities[c] ?? 0) > (probabilities[best] ?? 0)) best = c;
    const score = polarity(this.sentiment.probabilities(vector));
    const threshold = this.thresholds.get(language) ?? this.thresholds.get('und') ?? 0.3;
    return {
      label: LABELS[best] ?? 'Other',
      sentiment: {
        score: Math.round(score * 100) / 100,
        label: score > threshold ? 'positive' : score < -threshold ? 'negative' : 'neutral',
      },
      language,
      confidence: Math.round((probabilities[best] ?? 0) * 100) / 100,
    };
  }

  /** A model that learns on its own from here (`learn` changes only its label weights). */
  copy(): TriageModel {
    return new TriageModel(this.languages, this.vocabulary, this.labels.copy(), this.sentiment, this.thresholds);
  }

  /**
   * Takes a staff correction in at once: a few gradient steps on this one post, until the model
   * gives it the corrected label (at most `MAX_NUDGES`). Features the training never saw stay
   * unknown until the next start, which retrains on every correction.
   */
  learn(text: string, label: Label, context: TextContext = {}): void {
    const { vector } = this.analyse(text, context);
    const target = LABELS.indexOf(label);
    for (let step = 0; step < MAX_NUDGES; step++) {
      if (!this.labels.nudge(vector, target, NUDGE_RATE)) break;
    }
  }

  private analyse(text: string, context: TextContext): { language: DetectedLanguage; vector: SparseVector } {
    const { language, features } = textFeatures(text, context, { identify: (body) => this.languages.detect(body) });
    return { language, vector: this.vocabulary.vectorize(features, false) };
  }
}

/**
 * How much each kind of feature counts before normalisation. Words and word pairs count once;
 * word pieces are many per word, so each counts half; the few telling signals (punctuation, who
 * is addressed, cues, lexicon polarity, language) count double so that they are not drowned out.
 * Chosen by 3-fold cross-validation on the training part, never on the held-out fifth.
 */
function featureWeight(feature: string): number {
  const kind = feature.slice(0, 2);
  if (kind === 'w:' || kind === 'b:' || kind === 'k:') return 1;
  if (kind === 'c:') return 0.5;
  return 2;
}

const MAX_NUDGES = 20;
const NUDGE_RATE = 0.5;

function prepare(vocabulary: Vocabulary, languages: LanguageIdentifier, example: TriageExample, position: number): Prepared {
  // Half the examples are seen as if the brand's handle were unknown (`npm run classify`, an
  // import): the model then leans on the brand features when it has them, without needing them.
  const context: TextContext = position % 2 === 0 ? { ...example.context, brandHandles: [SHIPPED_BRAND_HANDLE] } : (example.context ?? {});
  const { language, features } = textFeatures(example.text, context, {
    known: example.language,
    identify: (body) => languages.detect(body),
  });
  return {
    vector: vocabulary.vectorize(features, true),
    label: LABELS.indexOf(example.label),
    sentiment: example.sentiment === undefined ? undefined : SENTIMENT_LABELS.indexOf(example.sentiment),
    language,
    weight: example.weight,
  };
}

const POSITIVE = SENTIMENT_LABELS.indexOf('positive');
const NEGATIVE = SENTIMENT_LABELS.indexOf('negative');

function polarity(probabilities: Float64Array): number {
  return (probabilities[POSITIVE] ?? 0) - (probabilities[NEGATIVE] ?? 0);
}

/** Per language (and overall, as `und`), the threshold with the best macro-F1 on the tuning examples. */
function chooseThresholds(
  model: SoftmaxRegression,
  tuning: ReadonlyArray<Prepared & { sentiment: number }>,
): Map<DetectedLanguage, number> {
  const scored = tuning.map((example) => ({
    language: example.language,
    truth: example.sentiment,
    score: polarity(model.probabilities(example.vector)),
  }));
  const groups = new Map<DetectedLanguage, typeof scored>([['und', scored]]);
  for (const example of scored) {
    const group = groups.get(example.language) ?? [];
    if (group.length === 0) groups.set(example.language, group);
    group.push(example);
  }
  const thresholds = new Map<DetectedLanguage, number>();
  for (const [language, examples] of groups) {
    let best = { threshold: 0.3, f1: -1 };
    for (let threshold = 0.05; threshold < 0.9; threshold += 0.05) {
      const f1 = sentimentMacroF1(examples, threshold);
      if (f1 > best.f1 + 1e-9) best = { threshold, f1 };
    }
    // Too few tuning examples to trust on their own: lean on the overall choice.
    thresholds.set(language, examples.length >= 40 ? best.threshold : (thresholds.get('und') ?? best.threshold));
  }
  return thresholds;
}

function sentimentMacroF1(examples: ReadonlyArray<{ truth: number; score: number }>, threshold: number): number {
  const counts = SENTIMENT_LABELS.map(() => ({ tp: 0, fp: 0, fn: 0 }));
  for (const { truth, score } of examples) {
    const got = score > threshold ? POSITIVE : score < -threshold ? NEGATIVE : SENTIMENT_LABELS.indexOf('neutral');
    const gotCounts = counts[got];
    const truthCounts = counts[truth];
    if (!gotCounts || !truthCounts) continue;
    if (got === truth) gotCounts.tp++;
    else {
      gotCounts.fp++;
      truthCounts.fn++;
    }
  }
  return counts.reduce((sum, { tp, fp, fn }) => sum + (tp === 0 ? 0 : (2 * tp) / (2 * tp + fp + fn)), 0) / counts.length;
}

/** Trained from the shipped examples alone once per process; each caller gets its own copy to nudge. */
let shippedOnly: TriageModel | undefined;

/** The production model: the shipped examples and staff corrections (which count double). */
export function trainTriageModel(corrections: readonly TriageExample[] = []): TriageModel {
  if (corrections.length === 0) {
    shippedOnly ??= TriageModel.train(loadShippedExamples());
    return shippedOnly.copy();
  }
  return TriageModel.train([...loadShippedExamples(), ...corrections.map((example) => ({ ...example, weight: example.weight ?? 2 }))]);
}
