/**
 * Multinomial logistic regression over sparse features, trained with AdaGrad: the model the
 * literature reaches for on short social posts, small enough to train at start-up (a few thousand
 * posts in a fraction of a second) and to score one post in microseconds.
 */

/** A document as the model sees it: feature indexes and their weights (L2-normalised). */
export interface SparseVector {
  indexes: Int32Array;
  values: Float32Array;
}

/** Feature names to indexes, grown while training; features never seen in training are dropped. */
export class Vocabulary {
  private readonly indexes = new Map<string, number>();
  private readonly weights: number[] = [];

  /** `weightOf` scales a feature's value: a few telling signals should not drown among many words. */
  constructor(private readonly weightOf: (feature: string) => number = () => 1) {}

  get size(): number {
    return this.indexes.size;
  }

  vectorize(features: readonly string[], grow: boolean): SparseVector {
    // Indexes sorted, then counted in runs: cheaper than a Map per document on the hot path.
    const found = new Int32Array(features.length);
    let length = 0;
    for (const feature of features) {
      let index = this.indexes.get(feature);
      if (index === undefined) {
        if (!grow) continue;
        index = this.indexes.size;
        this.indexes.set(feature, index);
        this.weights.push(this.weightOf(feature));
      }
      found[length++] = index;
    }
    const sorted = found.subarray(0, length).sort();
    const indexes = new Int32Array(length);
    const values = new Float32Array(length);
    let distinct = 0;
    let norm = 0;
    for (let i = 0; i < length; ) {
      const index = sorted[i] as number;
      let count = 0;
      while (i < length && sorted[i] === index) {
        count++;
        i++;
      }
      // Sublinear: a word said three times is not three times the evidence.
      const value = (1 + Math.log(count)) * (this.weights[index] ?? 1);
      indexes[distinct] = index;
      values[distinct] = value;
      norm += value * value;
      distinct++;
    }
    const scale = norm > 0 ? 1 / Math.sqrt(norm) : 0;
    for (let j = 0; j < distinct; j++) values[j] = (values[j] as number) * scale;
    return { indexes: indexes.subarray(0, distinct), values: values.subarray(0, distinct) };
  }
}

export interface TrainingOptions {
  epochs: number;
  learningRate: number;
  /** L2 penalty per update, keeping rare features from deciding alone. */
  l2: number;
  /** Seeds the example order, so a given data set always gives the same model. */
  seed: number;
}

export const DEFAULT_TRAINING: TrainingOptions = { epochs: 12, learningRate: 0.5, l2: 1e-4, seed: 7 };

export class SoftmaxRegression {
  private constructor(
    readonly classes: number,
    /** Row-major: weights[feature * classes + class]. */
    private readonly weights: Float32Array,
    private readonly bias: Float64Array,
  ) {}

  static train(
    documents: ReadonlyArray<{ vector: SparseVector; label: number; weight?: number }>,
    classes: number,
    dimensions: number,
    options: TrainingOptions = DEFAULT_TRAINING,
  ): SoftmaxRegression {
    const weights = new Float32Array(dimensions * classes);
    // Averaging the weights over every step (the averaged-perceptron trick: `sums` holds each
    // update times its step) steadies a model trained on few examples.
    const sums = new Float32Array(dimensions * classes);
    const squares = new Float32Array(dimensions * classes);
    const bias = new Float64Array(classes);
    const biasSquares = new Float64Array(classes);
    const model = new SoftmaxRegression(classes, weights, bias);
    const order = documents.map((_, i) => i);
    const random = seededRandom(options.seed);
    const probabilities = new Float64Array(classes);
    const biasSums = new Float64Array(classes);
    let step = 1;
    const { learningRate, l2 } = options;
    for (let epoch = 0; epoch < options.epochs; epoch++) {
      shuffle(order, random);
      for (const position of order) {
        const document = documents[position];
        if (!document) continue;
        const { indexes, values } = document.vector;
        const count = indexes.length;
        model.probabilitiesInto(document.vector, probabilities);
        const importance = document.weight ?? 1;
        for (let c = 0; c < classes; c++) {
          const gradient = ((probabilities[c] as number) - (c === document.label ? 1 : 0)) * importance;
          biasSquares[c] = (biasSquares[c] as number) + gradient * gradient;
          const biasStep = (learningRate * gradient) / Math.sqrt((biasSquares[c] as number) + 1e-8);
          bias[c] = (bias[c] as number) - biasStep;
          biasSums[c] = (biasSums[c] as number) - step * biasStep;
          for (let i = 0; i < count; i++) {
            const at = (indexes[i] as number) * classes + c;
            const weight = weights[at] as number;
            const g = gradient * (values[i] as number) + l2 * weight;
            const square = (squares[at] as number) + g * g;
            squares[at] = square;
            const change = (learningRate * g) / Math.sqrt(square + 1e-8);
            weights[at] = weight - change;
            sums[at] = (sums[at] as number) - step * change;
          }
        }
        step++;
      }
    }
    for (let i = 0; i < weights.length; i++) weights[i] = (weights[i] ?? 0) - (sums[i] ?? 0) / step;
    for (let c = 0; c < classes; c++) bias[c] = (bias[c] ?? 0) - (biasSums[c] ?? 0) / step;
    return model;
  }

  copy(): SoftmaxRegression {
    return new SoftmaxRegression(this.classes, Float32Array.from(this.weights), Float64Array.from(this.bias));
  }

  /**
   * One plain gradient step towards `label` for this document, unless the model already picks it.
   * Returns whether it stepped.
   */
  nudge(vector: SparseVector, label: number, rate: number): boolean {
    const probabilities = this.probabilities(vector);
    let best = 0;
    for (let c = 1; c < this.classes; c++) if ((probabilities[c] ?? 0) > (probabilities[best] ?? 0)) best = c;
    if (best === label) return false;
    for (let c = 0; c < this.classes; c++) {
      const gradient = (probabilities[c] ?? 0) - (c === label ? 1 : 0);
      for (let i = 0; i < vector.indexes.length; i++) {
        const at = (vector.indexes[i] ?? 0) * this.classes + c;
        this.weights[at] = (this.weights[at] ?? 0) - rate * gradient * (vector.values[i] ?? 0);
      }
    }
    return true;
  }

  probabilities(vector: SparseVector): Float64Array {
    const out = new Float64Array(this.classes);
    this.probabilitiesInto(vector, out);
    return out;
  }

  private probabilitiesInto({ indexes, values }: SparseVector, out: Float64Array): void {
    const classes = this.classes;
    for (let c = 0; c < classes; c++) out[c] = this.bias[c] ?? 0;
    for (let i = 0; i < indexes.length; i++) {
      const base = (indexes[i] ?? 0) * classes;
      const value = values[i] ?? 0;
      for (let c = 0; c < classes; c++) out[c] = (out[c] ?? 0) + (this.weights[base + c] ?? 0) * value;
    }
    let max = Number.NEGATIVE_INFINITY;
    for (let c = 0; c < classes; c++) max = Math.max(max, out[c] ?? 0);
    let sum = 0;
    for (let c = 0; c < classes; c++) {
      out[c] = Math.exp((out[c] ?? 0) - max);
      sum += out[c] ?? 0;
    }
    for (let c = 0; c < classes; c++) out[c] = (out[c] ?? 0) / sum;
  }
}

function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    // xorshift32: deterministic and good enough to shuffle.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 4294967296;
  };
}

function shuffle(order: number[], random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
  }
}
