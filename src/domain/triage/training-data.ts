import { readFileSync } from 'node:fs';
import { LABELS, type Label, type SentimentLabel } from './labels.ts';
import { LANGUAGES, type Language } from './language.ts';
import type { TriageExample } from './triage-model.ts';

/**
 * The shipped examples: `data/<language>/<label>.txt`, one post per line, each opening with its
 * sentiment (`+`, `0` or `-`) and a space. `#` starts a comment line. Sources and licences are in
 * data/SOURCES.md.
 */
const FILE_OF: Record<Label, string> = { Question: 'question.txt', Complaint: 'complaint.txt', Praise: 'praise.txt', Other: 'other.txt' };
const SENTIMENT_OF: Record<string, SentimentLabel> = { '+': 'positive', '0': 'neutral', '-': 'negative' };

export function loadShippedExamples(): TriageExample[] {
  return LANGUAGES.flatMap((language) => LABELS.flatMap((label) => readExamples(language, label)));
}

function readExamples(language: Language, label: Label): TriageExample[] {
  const file = new URL(`./data/${language}/${FILE_OF[label]}`, import.meta.url);
  return readFileSync(file, 'utf8')
    .split('\n')
    .map((line, index) => ({ line: line.trim(), number: index + 1 }))
    .filter(({ line }) => line && !line.startsWith('#'))
    .map(({ line, number }) => {
      const sentiment = SENTIMENT_OF[line.slice(0, 1)];
      const text = line.slice(1).trim();
      if (!sentiment || line[1] !== ' ' || !text)
        throw new Error(`${language}/${FILE_OF[label]}:${number}: a line opens with +, 0 or - and a space`);
      return { text, label, sentiment, language };
    });
}

/** Every fifth example of each label in each language is held out; the split is fixed, so reports compare. */
export function splitHeldOut<T extends { label: Label; language?: string }>(examples: readonly T[]): { train: T[]; heldOut: T[] } {
  const train: T[] = [];
  const heldOut: T[] = [];
  const seen = new Map<string, number>();
  for (const example of examples) {
    const group = `${example.language ?? ''}/${example.label}`;
    const index = seen.get(group) ?? 0;
    seen.set(group, index + 1);
    (index % 5 === 4 ? heldOut : train).push(example);
  }
  return { train, heldOut };
}
