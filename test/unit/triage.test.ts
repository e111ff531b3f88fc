import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../src/domain/triage/evaluation.ts';
import { LABELS, SENTIMENT_LABELS } from '../../src/domain/triage/labels.ts';
import { detectLanguage, LANGUAGES, LanguageIdentifier } from '../../src/domain/triage/language.ts';
import { textFeatures } from '../../src/domain/triage/text-features.ts';
import { loadShippedExamples, splitHeldOut } from '../../src/domain/triage/training-data.ts';
import { SHIPPED_BRAND_HANDLE, TriageModel, trainTriageModel } from '../../src/domain/triage/triage-model.ts';

const examples = loadShippedExamples();
const { train, heldOut } = splitHeldOut(examples);
const brand = { brandHandles: [SHIPPED_BRAND_HANDLE] };

describe('the shipped training data', () => {
  it('holds at least 150 examples of every label in every language, none twice', () => {
    for (const language of LANGUAGES) {
      const own = examples.filter((example) => example.language === language);
      for (const label of LABELS)
        expect(own.filter((example) => example.label === label).length, `${language} ${label}`).toBeGreaterThanOrEqual(150);
      const texts = own.map((example) => example.text.toLowerCase());
      expect(new Set(texts).size, language).toBe(texts.length);
    }
  });

  it('names its sources and licences, and says what each label means', () => {
    const sources = readFileSync(new URL('../../src/domain/triage/data/SOURCES.md', import.meta.url), 'utf8');
    for (const folder of [...LANGUAGES, 'lexicon']) expect(sources).toContain(`${folder}/`);
    for (const label of LABELS) expect(sources).toContain(`**${label}**`);
  });

  it('holds out every fifth example of each label in each language, never trained on', () => {
    const trained = new Set(train.map((example) => example.text));
    expect(heldOut.some((example) => trained.has(example.text))).toBe(false);
    for (const language of LANGUAGES)
      for (const label of LABELS) {
        const all = examples.filter((example) => example.language === language && example.label === label);
        const held = heldOut.filter((example) => example.language === language && example.label === label);
        expect(held).toEqual(all.filter((_, i) => i % 5 === 4));
      }
  });
});

describe('text features', () => {
  const features = (text: string, context = {}) => textFeatures(text, context).features;

  it('reads full-width punctuation as its ASCII twin and folds accents into an extra feature', () => {
    expect(features('注文はいつ届きますか？')).toContain('<?>');
    expect(features('Vuelo a México cancelado')).toEqual(expect.arrayContaining(['w:méxico', 'w:mexico']));
  });

  it('finds words in Chinese and Japanese, where natural found none', () => {
    expect(features('我的订单三周了还没到').filter((f) => f.startsWith('w:')).length).toBeGreaterThan(3);
    expect(features('我的订单三周了还没到')).toEqual(expect.arrayContaining(['k:订单', 'k:还']));
    expect(features('注文した商品がまだ届きません').filter((f) => f.startsWith('w:')).length).toBeGreaterThan(3);
  });

  it('reads a rating as a verdict and ignores markup typed into a post', () => {
    expect(features('tested your tent: 10/10 <b>would camp again</b>')).toEqual(expect.arrayContaining(['<rating+>', 'w:would', 'w:camp']));
    expect(features('tested your tent: 10/10 <b>would camp again</b>').some((f) => f === 'w:b')).toBe(false);
    expect(features('1/10 would not buy again')).toContain('<rating->');
    expect(features('配送に星5つ ⭐⭐⭐⭐⭐')).toContain('<rating+>');
  });

  it('keeps emoji, squeezes elongations and flags shouting', () => {
    const found = features('sooo ANGRY 😡😡');
    expect(found).toEqual(expect.arrayContaining(['e:😡', '<elongated>', '<shouting>', 'w:soo']));
  });

  it('tells a post spoken to the brand from one spoken to someone else, never by the handle itself', () => {
    expect(features('@brand still waiting', brand)).toContain('@brand-lead');
    expect(features('@jenny still waiting', brand)).toContain('@other-lead');
    expect(features('still waiting for the bus', brand)).toContain('@brand-absent');
    expect(features('@jenny still waiting', brand).some((f) => f.includes('jenny'))).toBe(false);
    // Mastodon: the brand is `northwind@server`; people on its server write `@northwind`.
    expect(features('@northwind still waiting', { brandHandles: ['northwind@mastodon.example'] })).toContain('@brand-lead');
    expect(features('@northwind.bsky.social still waiting', { brandHandles: ['northwind.bsky.social'] })).toContain('@brand-lead');
  });
});

describe('language detection', () => {
  const identifier = LanguageIdentifier.train(train);

  it('names the language of at least 95 % of the held-out posts in every language', () => {
    for (const language of LANGUAGES) {
      const own = heldOut.filter((example) => example.language === language);
      const right = own.filter((example) => identifier.detect(example.text) === language).length;
      expect(right / own.length, language).toBeGreaterThanOrEqual(0.95);
    }
  });

  it('has a fallback for Latin text nothing was trained on, and says so for text with no letters', () => {
    expect(detectLanguage('Obrigado, vocês são demais!')).toBe('pt');
    expect(detectLanguage('🔥🔥🔥')).toBe('und');
  });
});

describe('the triage model', () => {
  const heldOutModel = TriageModel.train(train);
  const predictions = heldOut.map((example) => ({ example, got: heldOutModel.classify(example.text, brand) }));

  it('reaches 0.85 macro-F1 on the held-out fifth in every language', () => {
    for (const language of LANGUAGES) {
      const own = predictions.filter(({ example }) => example.language === language);
      const { macroF1 } = evaluate(
        LABELS,
        own.map(({ example, got }) => ({ truth: example.label, predicted: got.label })),
      );
      expect(macroF1, language).toBeGreaterThanOrEqual(0.85);
    }
  });

  it('calls sentiment right in every language (held-out macro-F1 ≥ 0.75)', () => {
    for (const language of LANGUAGES) {
      const own = predictions.filter(({ example }) => example.language === language && example.sentiment);
      const { macroF1 } = evaluate(
        SENTIMENT_LABELS,
        own.map(({ example, got }) => ({ truth: example.sentiment ?? 'neutral', predicted: got.sentiment.label })),
      );
      expect(macroF1, language).toBeGreaterThanOrEqual(0.75);
    }
  });

  const shipped = trainTriageModel();
  it.each([
    ['praise with a tent and a score', '@northwind Tom & Jerry tested your tent: 10/10 would camp again', 'Praise'],
    [
      'the same with markup typed in (the sandbox demo)',
      '@northwind Tom & Jerry tested your tent: 10/10 <b>would camp again</b>',
      'Praise',
    ],
    ['a complaint phrased as a question', '@northwind any update on the outage?', 'Complaint'],
    ['a plea for help about an order', '@northwind can you help me? my order never arrived', 'Complaint'],
    ['praise in negative words', '@northwind no problem at all, thanks!', 'Praise'],
    ['a plain question', '@northwind do you ship to Norway?', 'Question'],
    ['chatter aimed at someone else', '@jenny thanks for the lift, see you tomorrow?', 'Other'],
    ['a Spanish complaint', '@northwind mi pedido sigue sin llegar, ¿qué pasa?', 'Complaint'],
    ['a Chinese question', '@northwind 请问周末营业吗？', 'Question'],
    ['a Japanese complaint', '@northwind 注文した商品がまだ届きません。どうなっていますか？', 'Complaint'],
    ['German praise', '@northwind vielen Dank, der Service war großartig', 'Praise'],
  ])('labels %s', (_kind, text, expected) => {
    expect(shipped.classify(text, { brandHandles: ['northwind'] }).label).toBe(expected);
  });

  it('gives a sentiment and a language with the label, in the languages customers write', () => {
    expect(shipped.classify('Still waiting on my refund from three weeks ago').sentiment.label).toBe('negative');
    expect(shipped.classify('Merci beaucoup, service impeccable !')).toMatchObject({ language: 'fr', sentiment: { label: 'positive' } });
    expect(shipped.classify('最悪の対応、もう二度と買わない')).toMatchObject({ language: 'ja', sentiment: { label: 'negative' } });
    expect(shipped.classify('太好了，谢谢你们！')).toMatchObject({ language: 'zh', sentiment: { label: 'positive' } });
  });

  it('learns a correction at once, and only that model copy does', () => {
    const text = '@northwind the parcel turned up at my neighbour’s, all sorted';
    const learner = trainTriageModel();
    const before = learner.classify(text, { brandHandles: ['northwind'] }).label;
    const corrected = before === 'Other' ? 'Praise' : 'Other';
    learner.learn(text, corrected, { brandHandles: ['northwind'] });
    expect(learner.classify(text, { brandHandles: ['northwind'] }).label).toBe(corrected);
    expect(trainTriageModel().classify(text, { brandHandles: ['northwind'] }).label).toBe(before);
  });
});
