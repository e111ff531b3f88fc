/**
 * How well predictions match the truth: accuracy, per-class precision, recall and F1, macro-F1
 * (the mean of the classes' F1, so a rare class counts as much as a common one) and the confusion
 * matrix (rows: truth, columns: prediction).
 */
export interface Evaluation<C extends string> {
  classes: readonly C[];
  total: number;
  accuracy: number;
  macroF1: number;
  perClass: Record<C, { precision: number; recall: number; f1: number; support: number }>;
  /** confusion[truth][predicted] = count. */
  confusion: Record<C, Record<C, number>>;
}

export function evaluate<C extends string>(classes: readonly C[], pairs: Iterable<{ truth: C; predicted: C }>): Evaluation<C> {
  const confusion = Object.fromEntries(classes.map((truth) => [truth, Object.fromEntries(classes.map((c) => [c, 0]))])) as Record<
    C,
    Record<C, number>
  >;
  let total = 0;
  let correct = 0;
  for (const { truth, predicted } of pairs) {
    confusion[truth][predicted]++;
    total++;
    if (truth === predicted) correct++;
  }
  const perClass = Object.fromEntries(
    classes.map((label) => {
      const tp = confusion[label][label];
      const predicted = classes.reduce((sum, truth) => sum + confusion[truth][label], 0);
      const support = classes.reduce((sum, predictedAs) => sum + confusion[label][predictedAs], 0);
      const precision = predicted === 0 ? 0 : tp / predicted;
      const recall = support === 0 ? 0 : tp / support;
      const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
      return [label, { precision, recall, f1, support }];
    }),
  ) as Evaluation<C>['perClass'];
  // Classes absent from the truth and never predicted say nothing: they are left out of the mean.
  const present = classes.filter((label) => perClass[label].support > 0 || classes.some((truth) => confusion[truth][label] > 0));
  return {
    classes,
    total,
    accuracy: total === 0 ? 0 : correct / total,
    macroF1: present.length === 0 ? 0 : present.reduce((sum, label) => sum + perClass[label].f1, 0) / present.length,
    perClass,
    confusion,
  };
}
