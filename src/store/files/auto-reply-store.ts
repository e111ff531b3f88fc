import path from 'node:path';
import type { Low } from 'lowdb';
import type { AutoReplyDecision, AutoReplyRule, DecisionLimits, DecisionResult } from '../../domain/auto-replies/rules.ts';
import type { AutoReplyRepository } from '../../services/repositories.ts';
import { type AutoReplyRow, type CollectionCopy, toAsync } from '../store-copy.ts';
import { isObject, openJsonFile } from './json-file.ts';

interface AutoReplyData {
  rules: AutoReplyRule[];
  paused?: { by: string; at: string };
  decisions: AutoReplyDecision[];
}

const isAutoReplyData = (data: unknown): data is AutoReplyData =>
  isObject(data) && Array.isArray(data.rules) && Array.isArray(data.decisions);

/**
 * Decisions are kept this long: longer than any guardrail looks back (a day's cap, the author's
 * window of at most a week), so the file stays small however long the bot runs.
 */
const KEEP_DECISIONS_MS = 8 * 86_400_000;

/**
 * `auto-replies.json`: rules, the pause, and recent decisions. One small file; every change is made
 * in memory without awaiting in between and then written, so a check and its write cannot interleave
 * with another's (the files serve one process: the data folder's lock).
 */
export class AutoReplyStore implements AutoReplyRepository {
  private constructor(
    private readonly db: Low<AutoReplyData>,
    private readonly now: () => Date,
  ) {}

  static async open(dataDir: string, options: { now?: () => Date } = {}): Promise<AutoReplyStore> {
    const db = await openJsonFile(path.join(dataDir, 'auto-replies.json'), { rules: [], decisions: [] }, isAutoReplyData);
    return new AutoReplyStore(db, options.now ?? (() => new Date()));
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
    await this.db.write();
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
    await this.db.write();
    return structuredClone(changed);
  }

  async removeRule(id: string): Promise<boolean> {
    const before = this.db.data.rules.length;
    this.db.data.rules = this.db.data.rules.filter((rule) => rule.id !== id);
    if (this.db.data.rules.length === before) return false;
    await this.db.write();
    return true;
  }

  async paused(): Promise<{ by: string; at: string } | undefined> {
    return this.db.data.paused && { ...this.db.data.paused };
  }

  async setPaused(state: { by: string; at: string } | undefined): Promise<void> {
    this.db.data.paused = state && { ...state };
    await this.db.write();
  }

  async decide(decision: AutoReplyDecision, limits?: DecisionLimits): Promise<DecisionResult> {
    const data = this.db.data;
    const keepFrom = new Date(this.now().getTime() - KEEP_DECISIONS_MS).toISOString();
    data.decisions = data.decisions.filter((kept) => kept.at >= keepFrom);
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
    await this.db.write();
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
    if (moved) await this.db.write();
  }

  async deleteForContact(contactId: string): Promise<number> {
    const before = this.db.data.decisions.length;
    this.db.data.decisions = this.db.data.decisions.filter((decision) => decision.contactId !== contactId);
    const removed = before - this.db.data.decisions.length;
    if (removed) await this.db.write();
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
        await this.db.write();
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
