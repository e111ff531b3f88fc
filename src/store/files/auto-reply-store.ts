import path from 'node:path';
import type { Low } from 'lowdb';
import type { AutoReplyDecision, AutoReplyRule, DecisionLimits, DecisionResult } from '../../domain/auto-replies/rules.ts';
import type { AutoReplyRepository } from '../../services/repositories.ts';
import { type AutoReplyRow, type CollectionCopy, toAsync } from '../store-copy.ts';
import { isObject, openJsonFile } from './json-file.ts';
import { JsonLinesFile } from './json-lines.ts';

interface AutoReplyData {
  rules: AutoReplyRule[];
  paused?: { by: string; at: string };
  /** Only in files written before decisions had their own file: moved there at open. */
  decisions?: AutoReplyDecision[];
}

const isAutoReplyData = (data: unknown): data is AutoReplyData =>
  isObject(data) && Array.isArray(data.rules) && (data.decisions === undefined || Array.isArray(data.decisions));

const isDecision = (value: unknown): value is AutoReplyDecision =>
  isObject(value) && typeof value.key === 'string' && typeof value.contactId === 'string' && typeof value.at === 'string';

/**
 * Decisions are kept this long: longer than any guardrail looks back (a day's cap, the author's
 * window of at most a week), so the file stays small however long the bot runs.
 */
const KEEP_DECISIONS_MS = 8 * 86_400_000;

/**
 * Rules and the pause in `auto-replies.json` (small, written whole); decisions in
 * `auto-reply-decisions.jsonl`, one line appended per decision, so a decision costs the same however
 * many came before. Decisions older than a week are dropped when the file is rewritten (at open, and
 * when it has grown to twice what is kept). Every check is made in memory without awaiting before its
 * write, so two cannot interleave (the files serve one process: the data folder's lock).
 */
export class AutoReplyStore implements AutoReplyRepository {
  private constructor(
    private readonly db: Low<AutoReplyData & { decisions: AutoReplyDecision[] }>,
    private readonly decisionsFile: JsonLinesFile<AutoReplyDecision>,
    private readonly now: () => Date,
  ) {}

  static async open(dataDir: string, options: { now?: () => Date } = {}): Promise<AutoReplyStore> {
    const now = options.now ?? (() => new Date());
    const db = await openJsonFile<AutoReplyData>(path.join(dataDir, 'auto-replies.json'), { rules: [] }, isAutoReplyData);
    const file = new JsonLinesFile<AutoReplyDecision>(path.join(dataDir, 'auto-reply-decisions.jsonl'));
    const older = db.data.decisions ?? [];
    const decisions = [...older, ...(await file.read(isDecision))];
    db.data.decisions = decisions;
    const store = new AutoReplyStore(db as Low<AutoReplyData & { decisions: AutoReplyDecision[] }>, file, now);
    await store.compact();
    // Moved to their own file (written above): the rules' file no longer carries them.
    if (older.length) await store.writeRules();
    return store;
  }

  /** Rewrites the decisions file with those still kept (temp file and rename: a crash leaves the old one). */
  private async compact(): Promise<void> {
    const keepFrom = new Date(this.now().getTime() - KEEP_DECISIONS_MS).toISOString();
    this.db.data.decisions = this.db.data.decisions.filter((kept) => kept.at >= keepFrom);
    await this.decisionsFile.rewrite(this.db.data.decisions);
  }

  /** Adds one decision: one line appended; the file is rewritten only when mostly old lines. */
  private async append(decision: AutoReplyDecision): Promise<void> {
    await this.decisionsFile.append([decision]);
    if (this.decisionsFile.lines > 2 * this.db.data.decisions.length + 1_000) await this.compact();
  }

  /** The rules' file: rules and the pause (the decisions live in their own). */
  private async writeRules(): Promise<void> {
    const { decisions: _own, ...rest } = this.db.data;
    await this.db.adapter.write(rest as AutoReplyData & { decisions: AutoReplyDecision[] });
  }

  async rules(): Promise<AutoReplyRule[]> {
    return structuredClone(this.db.data.rules);
  }

  async getRule(id: string): Promise<AutoReplyRule | undefined> {
    const rule = this.db.data.rules.find((candidate) => candidate.id === id);
    return rule && structuredClone(rule);
  }

  async addRule(rule: AutoReplyRule): Promise<boolean> {
    const { rules } = this.db.data;
    if (rules.some((other) => other.id === rule.id || other.name.toLowerCase() === rule.name.toLowerCase())) return false;
    rules.push(structuredClone(rule));
    await this.writeRules();
    return true;
  }

  async updateRule(id: string, change: (rule: AutoReplyRule) => AutoReplyRule | undefined): Promise<AutoReplyRule | undefined> {
    const { rules } = this.db.data;
    const index = rules.findIndex((rule) => rule.id === id);
    const current = rules[index];
    if (!current) return undefined;
    const changed = change(structuredClone(current));
    if (!changed) return structuredClone(current);
    const clash = rules.some((other) => other.id !== id && other.name.toLowerCase() === changed.name.toLowerCase());
    if (clash) throw new Error(`another rule is already called "${changed.name}"`);
    rules[index] = structuredClone(changed);
    await this.writeRules();
    return structuredClone(changed);
  }

  async removeRule(id: string): Promise<boolean> {
    const before = this.db.data.rules.length;
    this.db.data.rules = this.db.data.rules.filter((rule) => rule.id !== id);
    if (this.db.data.rules.length === before) return false;
    await this.writeRules();
    return true;
  }

  async paused(): Promise<{ by: string; at: string } | undefined> {
    return this.db.data.paused && { ...this.db.data.paused };
  }

  async setPaused(state: { by: string; at: string } | undefined): Promise<void> {
    this.db.data.paused = state && { ...state };
    await this.writeRules();
  }

  async decide(decision: AutoReplyDecision, limits?: DecisionLimits): Promise<DecisionResult> {
    const data = this.db.data;
    if (data.decisions.some((kept) => kept.key === decision.key)) return { stored: false, because: 'known' };
    if (limits && (decision.outcome === 'reply' || decision.outcome === 'dry_run')) {
      const last = lastReply(data.decisions, decision.contactId, limits.authorSince);
      if (last) return { stored: false, because: 'author_window', lastToAuthorAt: last };
      const today = data.decisions.filter(
        (kept) => kept.ruleId === decision.ruleId && kept.outcome === decision.outcome && kept.at >= limits.daySince,
      ).length;
      if (today >= limits.dailyCap) return { stored: false, because: 'daily_cap' };
    }
    data.decisions.push({ ...decision });
    await this.append(decision);
    return { stored: true };
  }

  async getDecision(key: string): Promise<AutoReplyDecision | undefined> {
    const found = this.db.data.decisions.find((decision) => decision.key === key);
    return found && { ...found };
  }

  async lastReplyTo(contactId: string, since: string): Promise<string | undefined> {
    return lastReply(this.db.data.decisions, contactId, since);
  }

  async countFor(ruleId: string, outcome: AutoReplyDecision['outcome'], since: string): Promise<number> {
    return this.db.data.decisions.filter((kept) => kept.ruleId === ruleId && kept.outcome === outcome && kept.at >= since).length;
  }

  async forContact(contactId: string): Promise<AutoReplyDecision[]> {
    return this.db.data.decisions.filter((decision) => decision.contactId === contactId).map((decision) => ({ ...decision }));
  }

  async reassignContact(from: string, to: string): Promise<void> {
    let moved = false;
    for (const decision of this.db.data.decisions) {
      if (decision.contactId !== from) continue;
      decision.contactId = to;
      moved = true;
    }
    if (moved) await this.compact();
  }

  async deleteForContact(contactId: string): Promise<number> {
    const before = this.db.data.decisions.length;
    this.db.data.decisions = this.db.data.decisions.filter((decision) => decision.contactId !== contactId);
    const removed = before - this.db.data.decisions.length;
    // Rewritten at once: an erased person's decisions leave the disk now, not at the next start.
    if (removed) await this.compact();
    return removed;
  }

  /** For `npm run store -- migrate`: rules, the pause and decisions as one collection. */
  get copy(): CollectionCopy<AutoReplyRow> {
    const rows = (): AutoReplyRow[] => [
      ...this.db.data.rules.map((rule): AutoReplyRow => ({ kind: 'rule', rule })),
      ...(this.db.data.paused ? [{ kind: 'pause' as const, paused: this.db.data.paused }] : []),
      ...this.db.data.decisions.map((decision): AutoReplyRow => ({ kind: 'decision', decision })),
    ];
    return {
      count: async () => rows().length,
      read: () => toAsync(structuredClone(rows())),
      write: async (incoming) => {
        for (const row of incoming) {
          if (row.kind === 'pause') this.db.data.paused = { ...row.paused };
          if (row.kind === 'rule') {
            this.db.data.rules = [...this.db.data.rules.filter((rule) => rule.id !== row.rule.id), structuredClone(row.rule)];
          }
          if (row.kind === 'decision') {
            this.db.data.decisions = [...this.db.data.decisions.filter((d) => d.key !== row.decision.key), { ...row.decision }];
          }
        }
        await this.writeRules();
        await this.compact();
      },
    };
  }
}

function lastReply(decisions: readonly AutoReplyDecision[], contactId: string, since: string): string | undefined {
  let last: string | undefined;
  for (const decision of decisions) {
    if (decision.contactId === contactId && decision.outcome === 'reply' && decision.at >= since && (!last || decision.at > last)) {
      last = decision.at;
    }
  }
  return last;
}
