import './quiet-dotenv.ts';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { type Evaluation, evaluate } from './domain/triage/evaluation.ts';
import { LABELS, type Label } from './domain/triage/labels.ts';
import { trainTriageModel } from './domain/triage/triage-model.ts';

/**
 * `npm run classify [-- --eval] [--brand <handle>] [file]`: the triage model on a team's own posts,
 * so it can be measured before it is trusted. Reads lines from the file or stdin: `text`,
 * `label<TAB>text`, or any columns named by a header line (`lang`, `label`, `text`). Prints, per
 * line, the label, the sentiment (and its score) and the language; with `--eval`, accuracy,
 * per-label precision, recall and F1, macro-F1 and the confusion matrix, per language too when a
 * `lang` column is given. The model is the shipped one (staff corrections live in the bot's store).
 */
const USAGE = [
  'Usage: npm run classify -- [--eval] [--brand <handle>] [file]',
  '  Lines of `text`, or `label<TAB>text`, or columns named by a header line: lang<TAB>label<TAB>text.',
  `  Labels: ${LABELS.join(', ')} (any case). --eval needs a label on every line.`,
  '  --brand: the brand’s own handle (without @), so posts that address it are read as such.',
].join('\n');

const COLUMN_NAMES = new Set(['lang', 'language', 'label', 'text']);

interface Options {
  evaluate: boolean;
  brandHandles: string[];
  file?: string;
}

interface Row {
  line: number;
  text: string;
  label?: Label;
  language?: string;
}

class InputError extends Error {}

function parseArguments(argv: readonly string[]): Options | string {
  const options: Options = { evaluate: false, brandHandles: [] };
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i] ?? '';
    if (argument === '--eval') options.evaluate = true;
    else if (argument === '--brand') {
      const handle = argv[++i];
      if (!handle) return '--brand needs a handle.';
      options.brandHandles.push(handle.replace(/^@/, ''));
    } else if (argument === '--help' || argument === '-h') return '';
    else if (argument.startsWith('-')) return `Unknown option ${argument}.`;
    else if (options.file) return 'One file at most.';
    else options.file = argument;
  }
  return options;
}

/** Reads the columns from a header line, or guesses them from the first line's shape. */
function columnsOf(cells: readonly string[]): { columns: string[]; header: boolean } {
  const named = cells.map((cell) => cell.trim().toLowerCase());
  if (cells.length > 1 && named.every((cell) => COLUMN_NAMES.has(cell)) && named.includes('text'))
    return { columns: named.map((cell) => (cell === 'language' ? 'lang' : cell)), header: true };
  if (cells.length === 1) return { columns: ['text'], header: false };
  if (cells.length === 2) return { columns: ['label', 'text'], header: false };
  return { columns: ['lang', 'label', 'text'], header: false };
}

function rowOf(cells: readonly string[], columns: readonly string[], line: number): Row {
  const at = (name: string) => {
    const index = columns.indexOf(name);
    // The text is the last column and may itself hold tabs.
    if (name === 'text' && index === columns.length - 1) return cells.slice(index).join('\t');
    return index >= 0 ? cells[index] : undefined;
  };
  const text = at('text') ?? '';
  const rawLabel = at('label')?.trim();
  const label = rawLabel ? LABELS.find((known) => known.toLowerCase() === rawLabel.toLowerCase()) : undefined;
  if (rawLabel && !label) throw new InputError(`line ${line}: "${rawLabel.slice(0, 40)}" is not a label (${LABELS.join(', ')})`);
  return { line, text, label, language: at('lang')?.trim() || undefined };
}

async function* readRows(options: Options): AsyncGenerator<Row> {
  if (options.file) {
    const info = await stat(options.file).catch(() => undefined);
    if (!info?.isFile()) throw new InputError(`${options.file} is not a file that can be read`);
  }
  const input = options.file ? createReadStream(options.file, 'utf8') : process.stdin;
  let columns: string[] | undefined;
  let number = 0;
  for await (const raw of createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY })) {
    number++;
    const line = number === 1 ? raw.replace(/^\uFEFF/, '') : raw;
    if (!line.trim()) continue;
    const cells = line.split('\t');
    if (!columns) {
      const found = columnsOf(cells);
      columns = found.columns;
      if (found.header) continue;
    }
    yield rowOf(cells, columns, number);
  }
}

function printEvaluation(title: string, result: Evaluation<Label>): void {
  const pct = (value: number) => value.toFixed(3);
  console.log(`${title}: ${result.total} post${result.total === 1 ? '' : 's'}`);
  console.log(`  accuracy  ${pct(result.accuracy)}`);
  console.log(`  macro-F1  ${pct(result.macroF1)}`);
  console.log(`  ${'label'.padEnd(10)} precision  recall  F1     support`);
  for (const label of LABELS) {
    const { precision, recall, f1, support } = result.perClass[label];
    console.log(`  ${label.padEnd(10)} ${pct(precision).padEnd(10)} ${pct(recall).padEnd(7)} ${pct(f1).padEnd(6)} ${support}`);
  }
  console.log(`  confusion (rows: truth, columns: predicted)`);
  console.log(`  ${''.padEnd(10)} ${LABELS.map((label) => label.padStart(9)).join(' ')}`);
  for (const truth of LABELS)
    console.log(`  ${truth.padEnd(10)} ${LABELS.map((predicted) => String(result.confusion[truth][predicted]).padStart(9)).join(' ')}`);
}

async function main(argv: readonly string[]): Promise<number> {
  const options = parseArguments(argv);
  if (typeof options === 'string') {
    process.stderr.write(`${options ? `${options}\n` : ''}${USAGE}\n`);
    return options ? 2 : 0;
  }
  const model = trainTriageModel();
  const context = options.brandHandles.length ? { brandHandles: options.brandHandles } : {};
  const pairs: Array<{ truth: Label; predicted: Label; language: string }> = [];
  let rows = 0;
  for await (const row of readRows(options)) {
    rows++;
    const got = model.classify(row.text, context);
    if (options.evaluate) {
      if (!row.label) throw new InputError(`line ${row.line}: --eval needs a label on every line (label<TAB>text)`);
      pairs.push({ truth: row.label, predicted: got.label, language: row.language ?? '' });
    } else {
      console.log(`${got.label}\t${got.sentiment.label}\t${got.sentiment.score.toFixed(2)}\t${got.language ?? 'und'}`);
    }
  }
  if (rows === 0) throw new InputError('no lines to classify');
  if (options.evaluate) {
    printEvaluation('all', evaluate(LABELS, pairs));
    const languages = [...new Set(pairs.map((pair) => pair.language))].filter(Boolean).sort();
    for (const language of languages) {
      console.log('');
      printEvaluation(
        language,
        evaluate(
          LABELS,
          pairs.filter((pair) => pair.language === language),
        ),
      );
    }
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof InputError ? error.message : String(error)}\n`);
    process.exitCode = 2;
  },
);
