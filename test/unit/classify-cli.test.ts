import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runClassifyCli } from '../helpers/crm-cli.ts';

/**
 * Posts whose labels the shipped model is sure of (they are among its examples), three of them
 * labelled on purpose as a team might have got them wrong: the confusion matrix is known by hand.
 */
const KNOWN = [
  ['lang', 'label', 'text'],
  ['en', 'Question', '@brand do you ship to Canada?'],
  ['en', 'Question', '@brand how do I reset my password on the app'],
  ['en', 'Complaint', "@brand my order still hasn't arrived and it's been 3 weeks"],
  // A question a team filed as Other: the model says Question.
  ['en', 'Other', '@brand what are your opening hours on public holidays?'],
  ['es', 'Praise', '@brand ningún problema, gracias por solucionarlo tan rápido!'],
  // Thanks filed as a complaint: the model says Praise.
  ['es', 'complaint', '@brand mil gracias a Lucía del teléfono, lo solucionó todo'],
  ['zh', 'Other', '今天加班到十点，终于下班了'],
  ['ja', 'Question', '@brand 沖縄にも配送していますか？'],
];

describe('npm run classify', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'switchboard-classify-'));
    await writeFile(path.join(dir, 'known.tsv'), `${KNOWN.map((row) => row.join('\t')).join('\n')}\n`);
    await writeFile(path.join(dir, 'texts.txt'), '@brand any update on the outage?\n\nMerci beaucoup, service impeccable !\n');
    await writeFile(path.join(dir, 'bad.tsv'), 'Question\t@brand hello?\nUrgent\t@brand help\n');
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('--eval prints accuracy, per-label precision, recall and F1, macro-F1 and the confusion matrix, overall and per language', async () => {
    const { code, stdout } = await runClassifyCli(dir, ['--eval', '--brand', 'brand', 'known.tsv']);
    expect(code).toBe(0);
    const [all = '', ...languages] = stdout.split('\n\n');
    expect(all).toContain('all: 8 posts');
    expect(all).toContain('accuracy  0.750');
    // Question: 3 right of 4 predicted; Praise: 1 of 2; Complaint: 1 of 1 (recall 1 of 2); Other: 1 of 1 (recall 1 of 2).
    expect(all).toMatch(/Question\s+0\.750\s+1\.000\s+0\.857\s+3/);
    expect(all).toMatch(/Complaint\s+1\.000\s+0\.500\s+0\.667\s+2/);
    expect(all).toMatch(/Praise\s+0\.500\s+1\.000\s+0\.667\s+1/);
    expect(all).toMatch(/Other\s+1\.000\s+0\.500\s+0\.667\s+2/);
    expect(all).toContain('macro-F1  0.714');
    const matrix = all.split('confusion (rows: truth, columns: predicted)')[1]?.trim().split('\n').slice(1);
    expect(matrix?.map((row) => row.trim().split(/\s+/))).toEqual([
      ['Question', '3', '0', '0', '0'],
      ['Complaint', '0', '1', '1', '0'],
      ['Praise', '0', '0', '1', '0'],
      ['Other', '1', '0', '0', '1'],
    ]);
    expect(languages.map((section) => section.split('\n')[0])).toEqual(['en: 4 posts', 'es: 2 posts', 'ja: 1 post', 'zh: 1 post']);
    expect(languages[0]).toContain('accuracy  0.750');
    expect(languages[1]).toMatch(/^\s*Complaint\s+0\s+0\s+1\s+0\s*$/m);
  });

  it('prints the label first, then sentiment, its score and the language, one line per post', async () => {
    const { code, stdout } = await runClassifyCli(dir, ['texts.txt']);
    expect(code).toBe(0);
    const lines = stdout.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^Complaint\tnegative\t-\d\.\d\d\ten$/);
    expect(lines[1]).toMatch(/^Praise\tpositive\t\d\.\d\d\tfr$/);
  });

  it('answers bad input with what is wrong, on stderr, and a non-zero exit', async () => {
    const unknownLabel = await runClassifyCli(dir, ['--eval', 'bad.tsv']);
    expect(unknownLabel.code).toBe(2);
    expect(unknownLabel.stderr).toContain('line 2: "Urgent" is not a label (Question, Complaint, Praise, Other)');
    const missing = await runClassifyCli(dir, ['nowhere.tsv']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('nowhere.tsv is not a file that can be read');
    const unlabelled = await runClassifyCli(dir, ['--eval', 'texts.txt']);
    expect(unlabelled.code).toBe(2);
    expect(unlabelled.stderr).toContain('--eval needs a label on every line');
    const option = await runClassifyCli(dir, ['--evaluate']);
    expect(option.code).toBe(2);
    expect(option.stderr).toContain('Unknown option --evaluate.');
  });
});
