import { isPosted, type MentionRecord } from '../domain/records.ts';
import { LABELS, type Label, needsAnswer } from '../domain/triage/labels.ts';
import { type MentionClassifier, type TriageExample, type TriageModel, trainTriageModel } from '../domain/triage/triage-model.ts';
import type { Log } from '../log.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { ActionAnswer } from './mention-actions.ts';
import type { MentionMessages } from './mention-messages.ts';
import type { Store } from './repositories.ts';
import type { TeamChat } from './team-chat.ts';

/** Where mentions go: questions and complaints wait for an answer in their own channel. */
export interface TriageChannels {
  mentions: string;
  questions: string;
}

export const channelFor = (label: Label, channels: TriageChannels): string => (needsAnswer(label) ? channels.questions : channels.mentions);

/** How right the model was, by the label it gave, judged by the team's corrections. */
export interface TriageReport {
  days: number;
  /** Mentions triaged in the period. */
  triaged: number;
  corrections: number;
  perLabel: Record<Label, { given: number; correctedAway: number; correctedInto: number; precision: number | undefined }>;
}

const CORRECTION_BATCH = 500;

/**
 * Triage: the model that labels mentions, and the team correcting it. A correction relabels the
 * mention (its message is redrawn, or moved to the channel the new label routes to), is stored
 * with who made it, teaches the running model at once, and joins the training at every start.
 */
export class TriageService {
  private readonly mutex = new KeyedMutex();

  private constructor(
    private readonly model: TriageModel,
    private readonly store: Store,
    private readonly chat: TeamChat,
    private readonly messages: MentionMessages,
    private readonly channels: TriageChannels,
    private readonly log: Log,
    private readonly now: () => Date,
  ) {}

  /** Trains on the shipped examples and every stored correction (about a second). */
  static async start(
    store: Store,
    chat: TeamChat,
    messages: MentionMessages,
    channels: TriageChannels,
    log: Log,
    now: () => Date = () => new Date(),
  ): Promise<TriageService> {
    const started = performance.now();
    const corrections = await correctionExamples(store);
    const model = trainTriageModel(corrections);
    log.info(`triage model trained in ${Math.round(performance.now() - started)} ms (${corrections.length} staff correction(s) included)`);
    return new TriageService(model, store, chat, messages, channels, log, now);
  }

  get classifier(): MentionClassifier {
    return this.model;
  }

  /** A teammate's correction. Answers the person only when there is something to say. */
  relabel(mentionKey: string, label: Label, userId: string): Promise<ActionAnswer> {
    return this.mutex.run(mentionKey, async () => {
      const record = await this.store.mentions.get(mentionKey);
      if (!record) return 'This mention is not known to Switchboard.';
      const previous = record.classification.label;
      if (previous === label) return `It is already labelled ${label}.`;
      const at = this.now().toISOString();
      const modelLabel = record.classification.relabel?.from ?? previous;
      let updated = await this.store.mentions.updateTriage(mentionKey, (current) => ({
        classification: {
          ...current.classification,
          label,
          relabel: { from: current.classification.relabel?.from ?? current.classification.label, by: userId, at },
        },
        slack: current.slack,
      }));
      await this.store.triageCorrections.record({ mentionKey, label, modelLabel, by: userId, at });
      await this.store.audit.record({ actor: userId, action: 'relabel', mentionKey, detail: `${previous} → ${label}` });
      this.model.learn(record.mention.text, label, { repliesToBrand: record.mention.isComment });
      const target = channelFor(label, this.channels);
      if (isPosted(updated) && target !== updated.slack.channel) updated = await this.move(updated, target, userId);
      else await this.messages.refresh(updated);
      this.log.info(`${mentionKey} relabelled ${previous} → ${label}`);
      return undefined;
    });
  }

  /**
   * Posts the mention in the channel its new label routes to and leaves a pointer where it was
   * (its thread, with any notes and replies, stays readable there). A failure to post keeps the
   * message where it is, relabelled.
   */
  private async move(record: MentionRecord & { slack: { ts: string } }, channel: string, userId: string): Promise<MentionRecord> {
    const contact = await this.store.contacts.get(record.contactId);
    const from = { channel: record.slack.channel, ts: record.slack.ts };
    let posted: { channel: string; ts: string };
    try {
      posted = await this.chat.postMention(
        { ...record, slack: { ...record.slack, channel } },
        {
          id: record.contactId,
          name: contact?.name ?? record.mention.author.name,
        },
      );
    } catch (error) {
      this.log.warn(`could not move ${record.key} to its new channel; relabelled in place`, { error });
      await this.messages.refresh(record);
      return record;
    }
    const moved = await this.store.mentions.updateTriage(record.key, (current) => ({
      classification: current.classification,
      slack: {
        ...current.slack,
        channel: posted.channel,
        ts: posted.ts,
        postedAt: this.now().toISOString(),
        previous: [...(current.slack.previous ?? []), from],
      },
    }));
    try {
      await this.chat.showMoved(from, posted, { key: record.key, label: record.classification.label, by: userId });
    } catch (error) {
      // The mention lives at its new message now; the old one still shows it, with its buttons (which act on the same mention).
      this.log.warn(`could not turn the old message of ${record.key} into a pointer`, { error });
    }
    return moved;
  }

  /** Per label the model gave in the last `days`, how often the team kept it. */
  async report(days = 30): Promise<TriageReport> {
    const now = this.now();
    const since = new Date(now.getTime() - days * 86_400_000);
    const perLabel = Object.fromEntries(
      LABELS.map((label) => [label, { given: 0, correctedAway: 0, correctedInto: 0, precision: undefined as number | undefined }]),
    ) as TriageReport['perLabel'];
    let triaged = 0;
    const firstDay = since.toISOString().slice(0, 10);
    for (const day of await this.store.mentions.days()) {
      if (day < firstDay) continue;
      for await (const record of this.store.mentions.readDay(day)) {
        if (record.mention.createdAt < since.toISOString()) continue;
        triaged++;
        const given = record.classification.relabel?.from ?? record.classification.label;
        perLabel[given].given++;
      }
    }
    const corrections = (await this.store.triageCorrections.since(since.toISOString())).filter((c) => c.label !== c.modelLabel);
    for (const correction of corrections) {
      perLabel[correction.modelLabel].correctedAway++;
      perLabel[correction.label].correctedInto++;
    }
    for (const label of LABELS) {
      const { given, correctedAway } = perLabel[label];
      perLabel[label].precision = given === 0 ? undefined : Math.max(0, given - correctedAway) / given;
    }
    return { days, triaged, corrections: corrections.length, perLabel };
  }
}

/** Every stored correction whose mention is still there, as a training example. */
async function correctionExamples(store: Store): Promise<TriageExample[]> {
  const examples: TriageExample[] = [];
  let batch: Array<{ mentionKey: string; label: Label }> = [];
  const flush = async () => {
    const mentions = await store.mentions.getMany(batch.map((correction) => correction.mentionKey));
    for (const { mentionKey, label } of batch) {
      const mention = mentions.get(mentionKey)?.mention;
      if (mention) examples.push({ text: mention.text, label, context: { repliesToBrand: mention.isComment } });
    }
    batch = [];
  };
  for await (const correction of store.triageCorrections.all()) {
    batch.push(correction);
    if (batch.length >= CORRECTION_BATCH) await flush();
  }
  if (batch.length) await flush();
  return examples;
}
