import type { Db } from './db.ts';

/**
 * The schema, as numbered steps applied once each, in order, at start-up. A replica starting while
 * another migrates waits on the advisory lock, then finds the steps done. Never edit a step that
 * has shipped: add one.
 *
 * Each table keeps the record as the core sees it in `record` (jsonb; with PII_ENCRYPTION_KEY its
 * personal fields sealed in `sealed`, exactly as in the lowdb files), beside the few plain columns
 * queries select by. Every exactly-once guard is a primary key or a unique index.
 */
export const MIGRATIONS: ReadonlyArray<{ id: number; name: string; sql: string }> = [
  {
    id: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE mentions (
        key text PRIMARY KEY,
        day text NOT NULL,
        contact_id text NOT NULL,
        seq bigserial NOT NULL,
        posted boolean NOT NULL DEFAULT false,
        record jsonb NOT NULL
      );
      CREATE INDEX mentions_by_contact ON mentions (contact_id, seq);
      CREATE INDEX mentions_by_day ON mentions (day, seq);
      -- Erased mentions by a hash of their key only: a re-read must never bring one back.
      CREATE TABLE erased_mentions (hash text PRIMARY KEY, erased_at timestamptz NOT NULL DEFAULT now());

      CREATE TABLE contacts (key text PRIMARY KEY, record jsonb NOT NULL);

      CREATE TABLE cursors (name text PRIMARY KEY, after text NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());

      CREATE TABLE outbox (
        key text PRIMARY KEY,
        mention_key text NOT NULL,
        state text NOT NULL,
        send_at timestamptz NOT NULL,
        requested_at text NOT NULL,
        -- Which replica is sending it, until when: another takes over a send whose replica died.
        claimed_by text,
        claimed_until timestamptz,
        record jsonb NOT NULL
      );
      -- One reply at a time per mention, whichever replica accepted it.
      CREATE UNIQUE INDEX outbox_one_pending_per_mention ON outbox (mention_key)
        WHERE state IN ('scheduled', 'sending') AND mention_key <> 'erased';
      CREATE INDEX outbox_pending ON outbox (send_at) WHERE state IN ('scheduled', 'sending');
      CREATE INDEX outbox_by_mention ON outbox (mention_key);

      CREATE TABLE audit (key text PRIMARY KEY, at text NOT NULL, mention_key text, record jsonb NOT NULL);
      CREATE INDEX audit_by_time ON audit (at DESC);
      CREATE INDEX audit_by_mention ON audit (mention_key) WHERE mention_key IS NOT NULL;

      CREATE TABLE saved_replies (folded_name text PRIMARY KEY, record jsonb NOT NULL);

      CREATE TABLE timeline (key text PRIMARY KEY, contact_id text NOT NULL, at text NOT NULL, record jsonb NOT NULL);
      CREATE INDEX timeline_by_contact ON timeline (contact_id);

      CREATE TABLE orders (key text PRIMARY KEY, contact_id text, created_at text NOT NULL, record jsonb NOT NULL);
      CREATE INDEX orders_by_contact ON orders (contact_id) WHERE contact_id IS NOT NULL;

      CREATE TABLE digests (key text PRIMARY KEY, record jsonb NOT NULL);

      CREATE TABLE likes (key text PRIMARY KEY, day text NOT NULL, contact_id text, record jsonb NOT NULL);
      CREATE INDEX likes_by_day ON likes (day);
      CREATE INDEX likes_by_contact ON likes (contact_id) WHERE contact_id IS NOT NULL;

      -- Small facts about the whole store (when the digest scheduler first ran).
      CREATE TABLE store_facts (name text PRIMARY KEY, value text NOT NULL);
    `,
  },
  {
    id: 2,
    name: 'platform sessions',
    sql: `
      -- Each platform's login session (tokens), sealed with PII_ENCRYPTION_KEY when it is set.
      CREATE TABLE platform_sessions (name text PRIMARY KEY, record jsonb NOT NULL, updated_at timestamptz NOT NULL DEFAULT now());
    `,
  },
  {
    id: 3,
    name: 'triage corrections',
    sql: `
      -- Staff corrections of triage labels, one per mention (the latest); no text, only the key.
      CREATE TABLE triage_corrections (mention_key text PRIMARY KEY, at text NOT NULL, record jsonb NOT NULL);
      CREATE INDEX triage_corrections_by_time ON triage_corrections (at);
    `,
  },
  {
    id: 4,
    name: 'private conversations',
    sql: `
      -- Private conversations (one Slack thread each) and their messages; participants and texts sealed.
      CREATE TABLE conversations (key text PRIMARY KEY, contact_id text NOT NULL, record jsonb NOT NULL);
      CREATE INDEX conversations_by_contact ON conversations (contact_id);
      CREATE TABLE direct_messages (
        key text PRIMARY KEY,
        conversation_key text NOT NULL,
        contact_id text NOT NULL,
        day text NOT NULL,
        sent_at text NOT NULL,
        record jsonb NOT NULL
      );
      CREATE INDEX direct_messages_by_conversation ON direct_messages (conversation_key, sent_at);
      CREATE INDEX direct_messages_by_contact ON direct_messages (contact_id);
      CREATE INDEX direct_messages_by_day ON direct_messages (day);
      -- Erased conversations by a hash of their key: a re-read never stores their messages again.
      CREATE TABLE erased_conversations (hash text PRIMARY KEY, erased_at timestamptz NOT NULL DEFAULT now());
    `,
  },
  {
    id: 5,
    name: 'automatic replies',
    sql: `
      -- Rules by ID, their names unique in any case.
      CREATE TABLE auto_reply_rules (id text PRIMARY KEY, folded_name text NOT NULL UNIQUE, record jsonb NOT NULL);
      -- One row at most: who paused automatic replies, and when.
      CREATE TABLE auto_reply_pause (only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row), record jsonb NOT NULL);
      CREATE TABLE auto_reply_decisions (
        key text PRIMARY KEY,
        contact_id text NOT NULL,
        rule_id text NOT NULL,
        outcome text NOT NULL,
        at text NOT NULL,
        record jsonb NOT NULL
      );
      CREATE INDEX auto_reply_decisions_by_contact ON auto_reply_decisions (contact_id, at);
      CREATE INDEX auto_reply_decisions_by_rule ON auto_reply_decisions (rule_id, outcome, at);
    `,
  },
  {
    id: 6,
    name: 'slack delivery queue',
    sql: `
      -- Mention messages owed to Slack: written with the mention's intent, removed once its ts is recorded.
      CREATE TABLE delivery_queue (key text PRIMARY KEY, record jsonb NOT NULL);
    `,
  },
  {
    id: 7,
    name: 'surges',
    sql: `
      CREATE TABLE surges (key text PRIMARY KEY, channel text NOT NULL, started_at text NOT NULL, record jsonb NOT NULL);
      CREATE INDEX surges_by_start ON surges (started_at);
    `,
  },
  {
    id: 8,
    name: 'webhook inbox',
    sql: `
      -- Meta's webhook deliveries, stored before they are answered; deleted once their events are stored.
      CREATE TABLE webhook_inbox (key text PRIMARY KEY, received_at text NOT NULL, body text NOT NULL, sealed boolean NOT NULL);
      CREATE INDEX webhook_inbox_by_arrival ON webhook_inbox (received_at);
    `,
  },
];

/** Any fixed number: the lock every replica takes to migrate, one at a time. */
const MIGRATION_LOCK = 0x5357_4d49; // "SWMI"

/** Applies the steps not yet applied, under an advisory lock; returns how many it applied. */
export async function migrate(db: Db): Promise<number> {
  return db.transaction(async (tx) => {
    // Transaction-scoped: released at commit or rollback, whatever happens to this process.
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await tx.query(
      'CREATE TABLE IF NOT EXISTS switchboard_migrations (id integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const { rows } = await tx.query<{ id: number }>('SELECT id FROM switchboard_migrations');
    const applied = new Set(rows.map((row) => row.id));
    let count = 0;
    for (const step of MIGRATIONS) {
      if (applied.has(step.id)) continue;
      await tx.query(step.sql);
      await tx.query('INSERT INTO switchboard_migrations (id, name) VALUES ($1, $2)', [step.id, step.name]);
      count += 1;
    }
    return count;
  });
}
