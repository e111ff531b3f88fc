import type { AutoReplyDecision, AutoReplyRule, DecisionLimits, DecisionResult } from '../../domain/auto-replies/rules.ts';
import type { AutoReplyRepository } from '../../services/repositories.ts';
import { isObject } from '../record-shapes.ts';
import type { AutoReplyRow, CollectionCopy } from '../store-copy.ts';
import type { Db } from './db.ts';

const isRule = (value: unknown): value is AutoReplyRule =>
  isObject(value) && typeof value.id === 'string' && typeof value.name === 'string';
const isDecision = (value: unknown): value is AutoReplyDecision =>
  isObject(value) && typeof value.key === 'string' && typeof value.contactId === 'string';
const isPause = (value: unknown): value is { by: string; at: string } =>
  isObject(value) && typeof value.by === 'string' && typeof value.at === 'string';

/** Any fixed number: decisions to reply are taken one at a time across replicas, so no cap or window is passed by a race. */
const DECISION_LOCK = 0x5357_4152; // "SWAR"

/** Automatic-reply rules, the pause and decisions in PostgreSQL (migration 5). Nothing here is personal data. */
export class PgAutoReplies implements AutoReplyRepository {
  constructor(private readonly db: Db) {}

  async rules(): Promise<AutoReplyRule[]> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM auto_reply_rules');
    return rows.map((row) => row.record).filter(isRule);
  }

  async getRule(id: string): Promise<AutoReplyRule | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM auto_reply_rules WHERE id = $1', [id]);
    const record = rows[0]?.record;
    return isRule(record) ? record : undefined;
  }

  async addRule(rule: AutoReplyRule): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'INSERT INTO auto_reply_rules (id, folded_name, record) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING',
      [rule.id, rule.name.toLowerCase(), JSON.stringify(rule)],
    );
    return Boolean(rowCount);
  }

  updateRule(id: string, change: (rule: AutoReplyRule) => AutoReplyRule | undefined): Promise<AutoReplyRule | undefined> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ record: unknown }>('SELECT record FROM auto_reply_rules WHERE id = $1 FOR UPDATE', [id]);
      const current = rows[0]?.record;
      if (!isRule(current)) return undefined;
      const changed = change(current);
      if (!changed) return current;
      await tx.query('UPDATE auto_reply_rules SET folded_name = $2, record = $3 WHERE id = $1', [
        id,
        changed.name.toLowerCase(),
        JSON.stringify(changed),
      ]);
      return changed;
    });
  }

  async removeRule(id: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM auto_reply_rules WHERE id = $1', [id]);
    return Boolean(rowCount);
  }

  async paused(): Promise<{ by: string; at: string } | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM auto_reply_pause');
    const record = rows[0]?.record;
    return isPause(record) ? record : undefined;
  }

  async setPaused(state: { by: string; at: string } | undefined): Promise<void> {
    if (!state) {
      await this.db.query('DELETE FROM auto_reply_pause');
      return;
    }
    await this.db.query('INSERT INTO auto_reply_pause (record) VALUES ($1) ON CONFLICT (only_row) DO UPDATE SET record = $1', [
      JSON.stringify(state),
    ]);
  }

  decide(decision: AutoReplyDecision, limits?: DecisionLimits): Promise<DecisionResult> {
    return this.db.transaction(async (tx) => {
      // Transaction-scoped: released at commit or rollback.
      await tx.query('SELECT pg_advisory_xact_lock($1)', [DECISION_LOCK]);
      const known = await tx.query('SELECT 1 FROM auto_reply_decisions WHERE key = $1', [decision.key]);
      if (known.rowCount) return { stored: false, because: 'known' } as const;
      if (limits && (decision.outcome === 'reply' || decision.outcome === 'dry_run')) {
        const last = await this.lastReplyOn(tx, decision.contactId, limits.authorSince);
        if (last) return { stored: false, because: 'author_window', lastToAuthorAt: last } as const;
        if ((await this.countOn(tx, decision.ruleId, decision.outcome, limits.daySince)) >= limits.dailyCap) {
          return { stored: false, because: 'daily_cap' } as const;
        }
      }
      await tx.query('INSERT INTO auto_reply_decisions (key, contact_id, rule_id, outcome, at, record) VALUES ($1, $2, $3, $4, $5, $6)', [
        decision.key,
        decision.contactId,
        decision.ruleId,
        decision.outcome,
        decision.at,
        JSON.stringify(decision),
      ]);
      return { stored: true } as const;
    });
  }

  async getDecision(key: string): Promise<AutoReplyDecision | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM auto_reply_decisions WHERE key = $1', [key]);
    const record = rows[0]?.record;
    return isDecision(record) ? record : undefined;
  }

  lastReplyTo(contactId: string, since: string): Promise<string | undefined> {
    return this.lastReplyOn(this.db, contactId, since);
  }

  countFor(ruleId: string, outcome: AutoReplyDecision['outcome'], since: string): Promise<number> {
    return this.countOn(this.db, ruleId, outcome, since);
  }

  private async lastReplyOn(db: Db, contactId: string, since: string): Promise<string | undefined> {
    const { rows } = await db.query<{ at: string | null }>(
      "SELECT max(at) AS at FROM auto_reply_decisions WHERE contact_id = $1 AND outcome = 'reply' AND at >= $2",
      [contactId, since],
    );
    return rows[0]?.at ?? undefined;
  }

  private async countOn(db: Db, ruleId: string, outcome: string, since: string): Promise<number> {
    const { rows } = await db.query<{ count: string }>(
      'SELECT count(*) AS count FROM auto_reply_decisions WHERE rule_id = $1 AND outcome = $2 AND at >= $3',
      [ruleId, outcome, since],
    );
    return Number(rows[0]?.count ?? 0);
  }

  async forContact(contactId: string): Promise<AutoReplyDecision[]> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM auto_reply_decisions WHERE contact_id = $1 ORDER BY at', [
      contactId,
    ]);
    return rows.map((row) => row.record).filter(isDecision);
  }

  async reassignContact(from: string, to: string): Promise<void> {
    await this.db.query(
      `UPDATE auto_reply_decisions SET contact_id = $2, record = jsonb_set(record, '{contactId}', to_jsonb($2::text)) WHERE contact_id = $1`,
      [from, to],
    );
  }

  async deleteForContact(contactId: string): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM auto_reply_decisions WHERE contact_id = $1', [contactId]);
    return rowCount ?? 0;
  }

  get copy(): CollectionCopy<AutoReplyRow> {
    const rows = async (): Promise<AutoReplyRow[]> => {
      const paused = await this.paused();
      const decisions = await this.db.query<{ record: unknown }>('SELECT record FROM auto_reply_decisions ORDER BY at');
      return [
        ...(await this.rules()).map((rule): AutoReplyRow => ({ kind: 'rule', rule })),
        ...(paused ? [{ kind: 'pause' as const, paused }] : []),
        ...decisions.rows
          .map((row) => row.record)
          .filter(isDecision)
          .map((decision): AutoReplyRow => ({ kind: 'decision', decision })),
      ];
    };
    return {
      count: async () => (await rows()).length,
      read: async function* () {
        yield* await rows();
      },
      write: async (incoming) => {
        for (const row of incoming) {
          if (row.kind === 'pause') await this.setPaused(row.paused);
          if (row.kind === 'rule') {
            await this.db.query(
              'INSERT INTO auto_reply_rules (id, folded_name, record) VALUES ($1, $2, $3) ON CONFLICT (id) DO UPDATE SET folded_name = $2, record = $3',
              [row.rule.id, row.rule.name.toLowerCase(), JSON.stringify(row.rule)],
            );
          }
          if (row.kind === 'decision') {
            const { decision } = row;
            await this.db.query(
              `INSERT INTO auto_reply_decisions (key, contact_id, rule_id, outcome, at, record) VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (key) DO UPDATE SET record = $6`,
              [decision.key, decision.contactId, decision.ruleId, decision.outcome, decision.at, JSON.stringify(decision)],
            );
          }
        }
      },
    };
  }
}
