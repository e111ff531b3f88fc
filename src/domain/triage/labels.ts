import type { DetectedLanguage } from './language.ts';

/** Triage labels. Questions and complaints need a person; praise and the rest are for awareness. */
export const LABELS = ['Question', 'Complaint', 'Praise', 'Other'] as const;
export type Label = (typeof LABELS)[number];

export const isLabel = (value: string): value is Label => (LABELS as readonly string[]).includes(value);

export const SENTIMENT_LABELS = ['positive', 'neutral', 'negative'] as const;
export type SentimentLabel = (typeof SENTIMENT_LABELS)[number];

export interface Sentiment {
  /** How much more likely positive than negative, -1 … 1. */
  score: number;
  label: SentimentLabel;
}

/** A staff member's correction of the model's label, kept with the mention. */
export interface Relabel {
  /** What the model (or the previous correction) said. */
  from: Label;
  by: string;
  at: string;
}

export interface Classification {
  label: Label;
  sentiment: Sentiment;
  /** BCP 47 code of the post's language, as detected (absent on mentions stored before it was). */
  language?: DetectedLanguage;
  /** The model's probability for `label`, 0 … 1. */
  confidence?: number;
  relabel?: Relabel;
}

/** Questions and complaints wait for an answer, so they go to the questions channel. */
export const needsAnswer = (label: Label): boolean => label === 'Question' || label === 'Complaint';
