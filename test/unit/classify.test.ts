/// <reference path="../../src/domain/natural-modules.d.ts" />
import { describe, expect, it } from 'vitest';
import {
  createMentionClassifier,
  evaluate,
  featuresOf,
  LABELS,
  loadTrainingSet,
  MentionClassifier,
  scoreSentiment,
  splitTrainingSet,
} from '../../src/domain/classify.ts';

describe('the labelled training set', () => {
  const examples = loadTrainingSet();

  it('holds a few hundred examples, about evenly spread over the labels', () => {
    expect(examples.length).toBeGreaterThanOrEqual(380);
    for (const label of LABELS) {
      expect(examples.filter((e) => e.label === label).length).toBeGreaterThanOrEqual(90);
    }
  });

  it('has no example twice', () => {
    const texts = examples.map((e) => e.text.toLowerCase());
    expect(new Set(texts).size).toBe(texts.length);
  });
});

describe('MentionClassifier', () => {
  const { train, heldOut } = splitTrainingSet(loadTrainingSet());
  const heldOutClassifier = new MentionClassifier(train);

  it('never sees its held-out examples in training', () => {
    const trained = new Set(train.map((e) => e.text));
    expect(heldOut.some((e) => trained.has(e.text))).toBe(false);
    expect(heldOut.length).toBeGreaterThanOrEqual(70);
  });

  it('reaches at least 75 % accuracy and 0.75 macro-F1 on the held-out fifth', () => {
    const result = evaluate(heldOutClassifier, heldOut);
    expect(result.accuracy).toBeGreaterThanOrEqual(0.75);
    expect(result.macroF1).toBeGreaterThanOrEqual(0.75);
  });

  const production = createMentionClassifier();
  it.each([
    ['a question without a question mark', '@northwind how do I change the email on my account', 'Question'],
    ['a question phrased as a request', '@northwind wondering if you deliver to Norway', 'Question'],
    ['a complaint phrased as a question', '@northwind why has nobody answered my refund request??', 'Complaint'],
    ['a complaint with no question', '@northwind my parcel is missing and the tracking has not moved in 10 days', 'Complaint'],
    ['praise', '@northwind thank you so much, the new boots are brilliant', 'Praise'],
    ['chatter', '@northwind off to the lake district this weekend with the family', 'Other'],
  ])('labels %s', (_kind, text, expected) => {
    expect(production.classify(text).label).toBe(expected);
  });
});

describe('scoreSentiment', () => {
  it('is negative for anger, positive for thanks, neutral for plain facts', () => {
    expect(scoreSentiment('this is terrible, awful service, I am angry').label).toBe('negative');
    expect(scoreSentiment('thank you, this is wonderful and I love it').label).toBe('positive');
    expect(scoreSentiment('the parcel is on the table').label).toBe('neutral');
  });

  it('scores empty text as neutral zero', () => {
    expect(scoreSentiment('@northwind https://t.co/abc')).toEqual({ score: 0, label: 'neutral' });
  });
});

describe('the sparse evaluation of the Bayes model', () => {
  it("gives natural's BayesClassifier's label for every text: the training set, the held-out fifth and the demo mentions", async () => {
    const { default: BayesClassifier } = await import('natural/lib/natural/classifiers/bayes_classifier.js');
    const { DEMO_MENTIONS } = await import('../../src/sandbox/demo-data.ts');
    const { train, heldOut } = splitTrainingSet(loadTrainingSet());
    const reference = new BayesClassifier();
    for (const example of train) reference.addDocument(featuresOf(example.text), example.label);
    reference.train();
    const ours = new MentionClassifier(train);
    const texts = [...train, ...heldOut].map((example) => example.text).concat(DEMO_MENTIONS);
    expect(texts.length).toBeGreaterThan(400);
    const disagreements = texts.filter((text) => ours.classify(text).label !== reference.classify(featuresOf(text)));
    expect(disagreements).toEqual([]);
  });
});
