/**
 * Triage quality and speed, for `npm run bench`: per language, held-out macro-F1 of the first
 * model (natural's Bayes, English cue words) and of the current one, trained on the same
 * examples; sentiment macro-F1; classifications per second on one core; training time.
 */
import { evaluate } from '../src/domain/triage/evaluation.ts';
import { LABELS, SENTIMENT_LABELS } from '../src/domain/triage/labels.ts';
import { LANGUAGES } from '../src/domain/triage/language.ts';
import { loadShippedExamples, splitHeldOut } from '../src/domain/triage/training-data.ts';
import { SHIPPED_BRAND_HANDLE, TriageModel, trainTriageModel } from '../src/domain/triage/triage-model.ts';
import { MentionClassifier as LegacyClassifier } from './legacy-classifier.ts';

const fmt = (n: number, digits = 3) => n.toFixed(digits);

export interface TriageFigures {
  worstMacroF1: number;
  perSecond: number;
  trainingMs: number;
}

export function benchTriage(): TriageFigures {
  const examples = loadShippedExamples();
  const { train, heldOut } = splitHeldOut(examples);
  const model = TriageModel.train(train);
  const legacy = new LegacyClassifier(train);
  // The held-out posts are shown as ingest shows them: the brand's handle is known.
  const context = { brandHandles: [SHIPPED_BRAND_HANDLE] };

  console.log('\ntriage: held-out fifth of the shipped examples, per language (trained on the other four fifths)');
  console.log('  lang  n    old macro-F1  new macro-F1  new accuracy  sentiment macro-F1  language detected');
  let worst = 1;
  for (const language of LANGUAGES) {
    const posts = heldOut.filter((example) => example.language === language);
    const predictions = posts.map((example) => ({ example, got: model.classify(example.text, context) }));
    const fresh = evaluate(
      LABELS,
      predictions.map(({ example, got }) => ({ truth: example.label, predicted: got.label })),
    );
    const old = evaluate(
      LABELS,
      posts.map((example) => ({ truth: example.label, predicted: legacy.classify(example.text).label })),
    );
    const sentiment = evaluate(
      SENTIMENT_LABELS,
      predictions.flatMap(({ example, got }) => (example.sentiment ? [{ truth: example.sentiment, predicted: got.sentiment.label }] : [])),
    );
    const detected = predictions.filter(({ example, got }) => got.language === example.language).length / posts.length;
    worst = Math.min(worst, fresh.macroF1);
    console.log(
      '  %s    %s  %s         %s         %s         %s               %s',
      language,
      String(posts.length).padEnd(3),
      fmt(old.macroF1),
      fmt(fresh.macroF1),
      fmt(fresh.accuracy),
      fmt(sentiment.macroF1),
      fmt(detected, 2),
    );
  }
  console.log('  worst language      %s   (goal ≥ 0.85 in every language: %s)', fmt(worst), worst >= 0.85 ? 'met' : 'NOT met');

  const t0 = performance.now();
  const shipped = trainTriageModel();
  const trainingMs = performance.now() - t0;
  console.log(
    '  training at start   %s ms on %d examples   (goal ≤ 3,000 ms: %s)',
    fmt(trainingMs, 0),
    examples.length,
    trainingMs <= 3_000 ? 'met' : 'NOT met',
  );

  const texts = examples.map((example) => example.text);
  for (const text of texts) shipped.classify(text, context); // compiled first, as in a running bot
  const rounds = 20_000;
  const c0 = performance.now();
  for (let i = 0; i < rounds; i++) shipped.classify(texts[i % texts.length] ?? '', context);
  const perSecond = rounds / ((performance.now() - c0) / 1000);
  console.log(
    '  classifications/s  %s on one core, all seven languages   (goal ≥ 10,000: %s)',
    fmt(perSecond, 0),
    perSecond >= 10_000 ? 'met' : 'NOT met',
  );
  return { worstMacroF1: worst, perSecond, trainingMs };
}
