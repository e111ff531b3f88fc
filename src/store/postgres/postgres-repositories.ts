import { randomUUID } from 'node:crypto';
import type { ConversationRecord, DirectMessageRecord } from '../../domain/conversations.ts';
import type {
  AuditEntry,
  DigestLogEntry,
  LikeRecord,
  MentionAttempt,
  MentionRecord,
  MentionWorkflow,
  OrderRecord,
  ReplyRecord,
  SavedReply,
  TimelineEntry,
  TriageCorrection,
} from '../../domain/records.ts';
import type {
  AuditRepository,
  ConversationRepository,
  CursorName,
  CursorRepository,
  DigestLogRepository,
  LikeRepository,
  MentionRepository,
  OrderRepository,
  OutboxRepository,
  PostedPlace,
  SavedReplyRepository,
  SessionRepository,
  TimelineRepository,
  TriageCorrectionRepository,
} from '../../services/repositories.ts';
import type { PiiCipher } from '../pii-cipher.ts';
import { RecordSealer, type StoredRecord } from '../record-sealer.ts';
import {
  erasureHash,
  isAuditEntry,
  isConversationRecord,
  isDirectMessageRecord,
  isLikeRecord,
  isMentionRecord,
  isObject,
  isOrderRecord,
  isReplyRecord,
  isTimelineEntry,
  PERSONAL,
} from '../record-shapes.ts';
import type { CollectionCopy, CursorRow, FactRow, SessionRow, TombstoneRow } from '../store-copy.ts';
import { countRows, type Db, streamRecords, updateRow } from './db.ts';

const asStored = (value: unknown): StoredRecord => {
  if (!isObject(value) || typeof value.key !== 'string') throw new Error('a stored record without a key');
  return value as StoredRecord;
};

/** What `npm run store -- migrate` reads and writes, for one table. */
function tableCopy<T>(
  db: Db,
  table: string,
  decode: (stored: unknown) => T,
  write: (records: readonly T[]) => Promise<void>,
): CollectionCopy<T> {
  return {
    count: () => countRows(db, table),
    read: () => streamRecords(db, table, 'true', [], decode),
    write,
  };
}

/**
 * A table of records whose personal fields are sealed (the same form as the files'): each
 * repository names its collection, fields and shape once, and reads through `decode`.
 */
abstract class SealedTable<T extends { key: string }> {
  protected readonly sealer: RecordSealer<T>;

  constructor(
    protected readonly db: Db,
    collection: string,
    personal: readonly string[],
    isRecord: (value: unknown) => value is T,
    cipher?: PiiCipher,
  ) {
    this.sealer = new RecordSealer(collection, personal, isRecord, cipher, `the ${collection} table`);
  }

  protected decode = (stored: unknown): T => this.sealer.open(asStored(stored));
}

export class PgMentions extends SealedTable<MentionRecord> implements MentionRepository {
  constructor(db: Db, cipher?: PiiCipher) {
    super(db, 'mentions', PERSONAL.mentions, isMentionRecord, cipher);
  }

  async count(): Promise<number> {
    return this.copy.count();
  }

  get copy(): CollectionCopy<MentionRecord> {
    return tableCopy(this.db, 'mentions', this.decode, (records) => this.write(this.db, records));
  }

  get erasedCopy(): CollectionCopy<TombstoneRow> {
    return {
      count: () => countRows(this.db, 'erased_mentions'),
      read: () => this.tombstones(),
      write: async (rows) => {
        await this.db.query(
          'INSERT INTO erased_mentions (hash, erased_at) SELECT * FROM unnest($1::text[], $2::timestamptz[]) ON CONFLICT DO NOTHING',
          [rows.map((row) => row.hash), rows.map((row) => row.at)],
        );
      },
    };
  }

  private async *tombstones(): AsyncGenerator<TombstoneRow> {
    const { rows } = await this.db.query<{ hash: string; erased_at: Date }>('SELECT hash, erased_at FROM erased_mentions ORDER BY hash');
    for (const row of rows) yield { hash: row.hash, at: row.erased_at.toISOString() };
  }

  async get(key: string): Promise<MentionRecord | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM mentions WHERE key = $1', [key]);
    return rows[0] ? this.decode(rows[0].record) : undefined;
  }

  async getMany(keys: readonly string[]): Promise<Map<string, MentionRecord>> {
    const found = new Map<string, MentionRecord>();
    if (!keys.length) return found;
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM mentions WHERE key = ANY($1)', [keys]);
    for (const row of rows) {
      const record = this.decode(row.record);
      found.set(record.key, record);
    }
    return found;
  }

  async keysForContact(contactId: string): Promise<string[]> {
    const { rows } = await this.db.query<{ key: string }>('SELECT key FROM mentions WHERE contact_id = $1 ORDER BY seq', [contactId]);
    return rows.map((row) => row.key);
  }

  async wasErased(key: string): Promise<boolean> {
    const { rowCount } = await this.db.query('SELECT 1 FROM erased_mentions WHERE hash = $1', [erasureHash(key)]);
    return Boolean(rowCount);
  }

  recordAttempts(records: readonly MentionAttempt[]): Promise<MentionRecord[]> {
    const byKey = new Map(records.map((record) => [record.key, record]));
    if (!byKey.size) return Promise.resolve([]);
    return this.db.transaction(async (tx) => {
      // Locked for the page: a mention already attempted keeps its first attempt and its Slack ts.
      // Only those two parts are read (they are never sealed): the post itself need not be opened.
      const { rows } = await tx.query<{ key: string; slack: MentionRecord['slack']; workflow: MentionWorkflow | null }>(
        "SELECT key, record->'slack' AS slack, record->'workflow' AS workflow FROM mentions WHERE key = ANY($1) FOR UPDATE",
        [[...byKey.keys()]],
      );
      const existing = new Map(rows.map((row) => [row.key, { slack: row.slack, workflow: row.workflow ?? undefined }]));
      const now = new Date().toISOString();
      const stored = [...byKey.values()].map((record): MentionRecord => {
        const before = existing.get(record.key);
        return {
          ...record,
          workflow: before?.workflow ?? record.workflow,
          slack: before?.slack.ts ? before.slack : { channel: record.slack.channel, attemptedAt: before?.slack.attemptedAt ?? now },
        };
      });
      await this.write(tx, stored);
      return stored;
    });
  }

  /** One statement for a page: unnest() of parallel arrays, upserted by key. */
  private async write(db: Db, records: readonly MentionRecord[]): Promise<void> {
    await db.query(
      `INSERT INTO mentions (key, day, contact_id, posted, record)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::boolean[], $5::jsonb[])
       ON CONFLICT (key) DO UPDATE SET day = excluded.day, contact_id = excluded.contact_id, posted = excluded.posted, record = excluded.record`,
      [
        records.map((r) => r.key),
        records.map((r) => r.mention.createdAt.slice(0, 10)),
        records.map((r) => r.contactId),
        records.map((r) => Boolean(r.slack.ts)),
        records.map((r) => JSON.stringify(this.sealer.seal(r))),
      ],
    );
  }

  async recordPostedMany(posted: ReadonlyArray<PostedPlace>): Promise<number> {
    const placeOf = new Map(posted.map((entry) => [entry.key, entry]));
    if (!placeOf.size) return 0;
    const postedAt = new Date().toISOString();
    const places = [...placeOf.values()];
    // slack is not personal: set in place, without decrypting the post or sending it back.
    const { rowCount } = await this.db.query(
      `UPDATE mentions m SET posted = true,
         record = jsonb_set(m.record, '{slack}', (m.record->'slack') || jsonb_build_object('ts', p.ts, 'postedAt', $3::text) || p.extra::jsonb)
       FROM unnest($1::text[], $2::text[], $4::text[]) AS p(key, ts, extra) WHERE m.key = p.key`,
      [
        places.map((place) => place.key),
        places.map((place) => place.ts),
        postedAt,
        places.map((place) => JSON.stringify(place.threadTs ? { threadTs: place.threadTs, batch: place.batch } : {})),
      ],
    );
    return rowCount ?? 0;
  }

  async updateWorkflow(key: string, change: (workflow: MentionWorkflow) => MentionWorkflow): Promise<MentionRecord> {
    const updated = await updateRow(
      this.db,
      'mentions',
      key,
      this.decode,
      (record) => ({ ...record, workflow: change({ ...record.workflow }) }),
      (tx, next) => this.write(tx, [next]),
    );
    if (!updated) throw new Error(`updateWorkflow: no mention ${key}`);
    return updated;
  }

  async updateTriage(
    key: string,
    change: (record: MentionRecord) => Pick<MentionRecord, 'classification' | 'slack'> & Partial<Pick<MentionRecord, 'mention'>>,
  ): Promise<MentionRecord> {
    const updated = await updateRow(
      this.db,
      'mentions',
      key,
      this.decode,
      (record) => ({ ...record, ...change(record) }),
      (tx, next) => this.write(tx, [next]),
    );
    if (!updated) throw new Error(`updateTriage: no mention ${key}`);
    return updated;
  }

  async reassignContact(from: string, to: string, onlyKeys?: ReadonlySet<string>): Promise<number> {
    const { rowCount } = await this.db.query(
      `UPDATE mentions SET contact_id = $2, record = jsonb_set(record, '{contactId}', to_jsonb($2::text))
       WHERE contact_id = $1 AND ($3::text[] IS NULL OR key = ANY($3))`,
      [from, to, onlyKeys ? [...onlyKeys] : null],
    );
    return rowCount ?? 0;
  }

  deleteForContact(contactId: string): Promise<string[]> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ key: string }>('DELETE FROM mentions WHERE contact_id = $1 RETURNING key, seq', [contactId]);
      const keys = rows.map((row) => row.key);
      if (keys.length)
        await tx.query('INSERT INTO erased_mentions (hash) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [keys.map(erasureHash)]);
      return keys;
    });
  }

  async days(): Promise<string[]> {
    const { rows } = await this.db.query<{ day: string }>('SELECT DISTINCT day FROM mentions ORDER BY day');
    return rows.map((row) => row.day);
  }

  readDay(day: string): AsyncIterable<MentionRecord> {
    return streamRecords(this.db, 'mentions', 'day = $1', [day], this.decode);
  }
}

export class PgCursors implements CursorRepository {
  constructor(private readonly db: Db) {}

  async get(name: CursorName): Promise<string | undefined> {
    const { rows } = await this.db.query<{ after: string }>('SELECT after FROM cursors WHERE name = $1', [name]);
    return rows[0]?.after;
  }

  get copy(): CollectionCopy<CursorRow> {
    return {
      count: () => countRows(this.db, 'cursors'),
      read: () => this.rows(),
      write: async (rows) => {
        for (const row of rows) await this.set(row.name as CursorName, row.after);
      },
    };
  }

  private async *rows(): AsyncGenerator<CursorRow> {
    yield* (await this.db.query<CursorRow>('SELECT name, after FROM cursors ORDER BY name')).rows;
  }

  async set(name: CursorName, after: string): Promise<void> {
    await this.db.query(
      'INSERT INTO cursors (name, after, updated_at) VALUES ($1, $2, now()) ON CONFLICT (name) DO UPDATE SET after = $2, updated_at = now()',
      [name, after],
    );
  }
}

const PENDING = "('scheduled', 'sending')";

export class PgOutbox extends SealedTable<ReplyRecord> implements OutboxRepository {
  constructor(db: Db, cipher?: PiiCipher) {
    super(db, 'outbox', PERSONAL.outbox, isReplyRecord, cipher);
  }

  private row(reply: ReplyRecord): unknown[] {
    return [
      reply.key,
      reply.mentionKey,
      reply.state,
      reply.sendAt,
      reply.requestedAt,
      JSON.stringify(this.sealer.seal(reply)),
      reply.lease?.by ?? null,
      reply.lease?.until ?? null,
    ];
  }

  get copy(): CollectionCopy<ReplyRecord> {
    return tableCopy(this.db, 'outbox', this.decode, async (records) => {
      for (const record of records) await this.writeRow(this.db, record);
    });
  }

  async get(key: string): Promise<ReplyRecord | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM outbox WHERE key = $1', [key]);
    return rows[0] ? this.decode(rows[0].record) : undefined;
  }

  async create(record: ReplyRecord): Promise<boolean> {
    // The key and the one-pending-reply-per-mention index are the guards: any conflict, nothing written.
    const { rowCount } = await this.db.query(
      `INSERT INTO outbox (key, mention_key, state, send_at, requested_at, record, claimed_by, claimed_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING`,
      this.row(record),
    );
    return rowCount === 1;
  }

  async save(record: ReplyRecord): Promise<void> {
    await this.writeRow(this.db, record);
  }

  private async writeRow(db: Db, record: ReplyRecord): Promise<void> {
    await db.query(
      `INSERT INTO outbox (key, mention_key, state, send_at, requested_at, record, claimed_by, claimed_until)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
       ON CONFLICT (key) DO UPDATE SET mention_key = $2, state = $3, send_at = $4, requested_at = $5, record = $6,
         claimed_by = $7, claimed_until = $8`,
      this.row(record),
    );
  }

  update(key: string, change: (reply: ReplyRecord) => ReplyRecord | undefined): Promise<ReplyRecord | undefined> {
    return updateRow(
      this.db,
      'outbox',
      key,
      this.decode,
      (reply) => {
        const changed = change(reply);
        return changed && { ...changed, key: reply.key };
      },
      (tx, next) => this.writeRow(tx, next),
    );
  }

  async unsettled(): Promise<ReplyRecord[]> {
    const { rows } = await this.db.query<{ record: unknown }>(`SELECT record FROM outbox WHERE state IN ${PENDING} ORDER BY send_at`);
    return rows.map((row) => this.decode(row.record));
  }

  async claimDue(by: string, until: Date, now: Date, limit: number): Promise<ReplyRecord[]> {
    // SKIP LOCKED: replicas sweeping at the same moment each take different replies, none waits.
    const lease = { by, until: until.toISOString() };
    const { rows } = await this.db.query<{ record: unknown }>(
      `UPDATE outbox SET claimed_by = $1, claimed_until = $2, record = record || jsonb_build_object('lease', $3::jsonb)
       WHERE key IN (
         SELECT key FROM outbox
         WHERE state IN ${PENDING} AND send_at <= $4 AND (claimed_until IS NULL OR claimed_until < $4)
         ORDER BY send_at LIMIT $5 FOR UPDATE SKIP LOCKED
       ) RETURNING record`,
      [by, until, JSON.stringify(lease), now, limit],
    );
    return rows.map((row) => this.decode(row.record));
  }

  async activeFor(mentionKey: string): Promise<ReplyRecord | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>(`SELECT record FROM outbox WHERE mention_key = $1 AND state IN ${PENDING}`, [
      mentionKey,
    ]);
    return rows[0] ? this.decode(rows[0].record) : undefined;
  }

  redactForMentions(mentionKeys: ReadonlySet<string>): Promise<Array<{ channel: string; ts: string }>> {
    return this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{ record: unknown }>('SELECT record FROM outbox WHERE mention_key = ANY($1) FOR UPDATE', [
        [...mentionKeys],
      ]);
      const announcements: Array<{ channel: string; ts: string }> = [];
      for (const row of rows) {
        const record = this.decode(row.record);
        if (record.announcement) announcements.push(record.announcement);
        await this.writeRow(tx, {
          ...record,
          text: '[erased]',
          mentionKey: 'erased',
          inReplyTo: 'erased',
          state: record.state === 'scheduled' ? 'cancelled' : record.state,
        });
      }
      return announcements;
    });
  }

  async forMentions(mentionKeys: ReadonlySet<string>): Promise<ReplyRecord[]> {
    const { rows } = await this.db.query<{ record: unknown }>(
      'SELECT record FROM outbox WHERE mention_key = ANY($1) ORDER BY requested_at',
      [[...mentionKeys]],
    );
    return rows.map((row) => this.decode(row.record));
  }
}

export class PgAudit extends SealedTable<AuditEntry> implements AuditRepository {
  constructor(db: Db, cipher?: PiiCipher) {
    super(db, 'audit', PERSONAL.audit, isAuditEntry, cipher);
  }

  private async put(db: Db, entry: AuditEntry, replace: boolean): Promise<void> {
    await db.query(
      `INSERT INTO audit (key, at, mention_key, record) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO ${replace ? 'UPDATE SET at = $2, mention_key = $3, record = $4' : 'NOTHING'}`,
      [entry.key, entry.at, entry.mentionKey ?? null, JSON.stringify(this.sealer.seal(entry))],
    );
  }

  get copy(): CollectionCopy<AuditEntry> {
    return tableCopy(this.db, 'audit', this.decode, async (entries) => {
      for (const entry of entries) await this.put(this.db, entry, true);
    });
  }

  async record(entry: Omit<AuditEntry, 'key' | 'at'> & { at?: string; key?: string }): Promise<AuditEntry> {
    const stored: AuditEntry = { ...entry, key: entry.key ?? randomUUID(), at: entry.at ?? new Date().toISOString() };
    await this.put(this.db, stored, false);
    return stored;
  }

  redactForMentions(mentionKeys: ReadonlySet<string>): Promise<number> {
    return this.db.transaction(async (tx) => {
      const entries = await this.inTx(tx, mentionKeys, true);
      for (const entry of entries) {
        await this.put(
          tx,
          { key: entry.key, at: entry.at, actor: entry.actor, action: entry.action, detail: 'about an erased contact' },
          true,
        );
      }
      return entries.length;
    });
  }

  forMentions(mentionKeys: ReadonlySet<string>): Promise<AuditEntry[]> {
    return this.inTx(this.db, mentionKeys, false);
  }

  private async inTx(db: Db, mentionKeys: ReadonlySet<string>, lock: boolean): Promise<AuditEntry[]> {
    const { rows } = await db.query<{ record: unknown }>(
      `SELECT record FROM audit WHERE mention_key = ANY($1) ORDER BY at${lock ? ' FOR UPDATE' : ''}`,
      [[...mentionKeys]],
    );
    return rows.map((row) => this.decode(row.record));
  }

  async latest(count: number): Promise<AuditEntry[]> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM audit ORDER BY at DESC, key LIMIT $1', [count]);
    return rows.map((row) => this.decode(row.record));
  }
}

const isTriageCorrection = (value: unknown): value is TriageCorrection =>
  isObject(value) && typeof value.mentionKey === 'string' && typeof value.label === 'string' && typeof value.modelLabel === 'string';

export class PgTriageCorrections implements TriageCorrectionRepository {
  constructor(private readonly db: Db) {}

  get copy(): CollectionCopy<TriageCorrection> {
    return {
      count: () => countRows(this.db, 'triage_corrections'),
      read: () => this.all(),
      write: async (corrections) => {
        for (const correction of corrections) await this.record(correction);
      },
    };
  }

  async record(correction: TriageCorrection): Promise<TriageCorrection> {
    // The first correction's model label stays: it is what the model said.
    const { rows } = await this.db.query<{ record: unknown }>(
      `INSERT INTO triage_corrections (mention_key, at, record) VALUES ($1, $2, $3)
       ON CONFLICT (mention_key) DO UPDATE SET at = $2,
         record = $3::jsonb || jsonb_build_object('modelLabel', triage_corrections.record->'modelLabel')
       RETURNING record`,
      [correction.mentionKey, correction.at, JSON.stringify(correction)],
    );
    const stored = rows[0]?.record;
    return isTriageCorrection(stored) ? stored : correction;
  }

  async get(mentionKey: string): Promise<TriageCorrection | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM triage_corrections WHERE mention_key = $1', [mentionKey]);
    const record = rows[0]?.record;
    return isTriageCorrection(record) ? record : undefined;
  }

  async since(at: string): Promise<TriageCorrection[]> {
    const { rows } = await this.db.query<{ record: unknown }>(
      'SELECT record FROM triage_corrections WHERE at >= $1 ORDER BY at, mention_key',
      [at],
    );
    return rows.map((row) => row.record).filter(isTriageCorrection);
  }

  async *all(): AsyncGenerator<TriageCorrection> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM triage_corrections ORDER BY at, mention_key');
    for (const { record } of rows) if (isTriageCorrection(record)) yield record;
  }

  async deleteForMentions(mentionKeys: ReadonlySet<string>): Promise<number> {
    if (mentionKeys.size === 0) return 0;
    const { rowCount } = await this.db.query('DELETE FROM triage_corrections WHERE mention_key = ANY($1)', [[...mentionKeys]]);
    return rowCount ?? 0;
  }
}

const isSavedReply = (value: unknown): value is SavedReply =>
  isObject(value) && typeof value.name === 'string' && typeof value.text === 'string';

export class PgSavedReplies implements SavedReplyRepository {
  constructor(private readonly db: Db) {}

  get copy(): CollectionCopy<SavedReply> {
    return {
      count: async () => (await this.list()).length,
      read: () => this.listed(),
      write: async (replies) => {
        for (const reply of replies) await this.upsert(reply);
      },
    };
  }

  private async *listed(): AsyncGenerator<SavedReply> {
    yield* await this.list();
  }

  async list(): Promise<SavedReply[]> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM saved_replies');
    return rows
      .map((row) => row.record)
      .filter(isSavedReply)
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  async find(name: string): Promise<SavedReply | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM saved_replies WHERE folded_name = $1', [
      name.toLowerCase(),
    ]);
    const record = rows[0]?.record;
    return isSavedReply(record) ? record : undefined;
  }

  async upsert(reply: SavedReply): Promise<boolean> {
    // xmax is 0 on a fresh insert and set when ON CONFLICT updated an existing row.
    const { rows } = await this.db.query<{ replaced: boolean }>(
      `INSERT INTO saved_replies (folded_name, record) VALUES ($1, $2)
       ON CONFLICT (folded_name) DO UPDATE SET record = $2 RETURNING (xmax <> 0) AS replaced`,
      [reply.name.toLowerCase(), JSON.stringify(reply)],
    );
    return Boolean(rows[0]?.replaced);
  }

  async remove(name: string): Promise<boolean> {
    const { rowCount } = await this.db.query('DELETE FROM saved_replies WHERE folded_name = $1', [name.toLowerCase()]);
    return Boolean(rowCount);
  }
}

export class PgTimeline extends SealedTable<TimelineEntry> implements TimelineRepository {
  constructor(db: Db, cipher?: PiiCipher) {
    super(db, 'timeline', PERSONAL.timeline, isTimelineEntry, cipher);
  }

  get copy(): CollectionCopy<TimelineEntry> {
    return tableCopy(this.db, 'timeline', this.decode, async (entries) => {
      for (const entry of entries)
        await this.insert(entry, 'UPDATE SET contact_id = excluded.contact_id, at = excluded.at, record = excluded.record');
    });
  }

  async add(entry: TimelineEntry): Promise<boolean> {
    return (await this.insert(entry, 'NOTHING')) === 1;
  }

  private async insert(entry: TimelineEntry, onConflict: string): Promise<number> {
    const { rowCount } = await this.db.query(
      `INSERT INTO timeline (key, contact_id, at, record) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO ${onConflict}`,
      [entry.key, entry.contactId, entry.at, JSON.stringify(this.sealer.seal(entry))],
    );
    return rowCount ?? 0;
  }

  async forContact(contactId: string): Promise<TimelineEntry[]> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM timeline WHERE contact_id = $1 ORDER BY at DESC', [
      contactId,
    ]);
    return rows.map((row) => this.decode(row.record));
  }

  async deleteForContact(contactId: string): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM timeline WHERE contact_id = $1', [contactId]);
    return rowCount ?? 0;
  }

  async reassign(from: string, to: string): Promise<void> {
    await this.db.query(
      `UPDATE timeline SET contact_id = $2, record = jsonb_set(record, '{contactId}', to_jsonb($2::text)) WHERE contact_id = $1`,
      [from, to],
    );
  }
}

export class PgOrders extends SealedTable<OrderRecord> implements OrderRepository {
  constructor(db: Db, cipher?: PiiCipher) {
    super(db, 'orders', PERSONAL.orders, isOrderRecord, cipher);
  }

  async get(key: string): Promise<OrderRecord | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM orders WHERE key = $1', [key]);
    return rows[0] ? this.decode(rows[0].record) : undefined;
  }

  get copy(): CollectionCopy<OrderRecord> {
    return tableCopy(this.db, 'orders', this.decode, async (orders) => {
      for (const order of orders) await this.save(order);
    });
  }

  async save(order: OrderRecord): Promise<void> {
    await this.db.query(
      `INSERT INTO orders (key, contact_id, created_at, record) VALUES ($1, $2, $3, $4)
       ON CONFLICT (key) DO UPDATE SET contact_id = $2, created_at = $3, record = $4`,
      [order.key, order.contactId ?? null, order.createdAt, JSON.stringify(this.sealer.seal(order))],
    );
  }

  all(): AsyncIterable<OrderRecord> {
    return streamRecords(this.db, 'orders', 'true', [], this.decode);
  }

  async forContact(contactId: string): Promise<OrderRecord[]> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM orders WHERE contact_id = $1 ORDER BY created_at DESC', [
      contactId,
    ]);
    return rows.map((row) => this.decode(row.record));
  }

  async reassign(from: string, to: string): Promise<void> {
    await this.db.query(
      `UPDATE orders SET contact_id = $2, record = jsonb_set(record, '{contactId}', to_jsonb($2::text)) WHERE contact_id = $1`,
      [from, to],
    );
  }

  async deleteForContact(contactId: string): Promise<number> {
    const { rowCount } = await this.db.query('DELETE FROM orders WHERE contact_id = $1', [contactId]);
    return rowCount ?? 0;
  }
}

const isDigestLogEntry = (value: unknown): value is DigestLogEntry =>
  isObject(value) && typeof value.key === 'string' && typeof value.channel === 'string' && typeof value.attemptedAt === 'string';

export class PgDigestLog implements DigestLogRepository {
  constructor(private readonly db: Db) {}

  private decode(value: unknown): DigestLogEntry {
    if (!isDigestLogEntry(value)) throw new Error('a digest log entry that is not the expected shape');
    return value;
  }

  get copy(): CollectionCopy<DigestLogEntry> {
    return tableCopy(
      this.db,
      'digests',
      (value) => this.decode(value),
      async (entries) => {
        for (const entry of entries)
          await this.db.query('INSERT INTO digests (key, record) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET record = $2', [
            entry.key,
            JSON.stringify(entry),
          ]);
      },
    );
  }

  get factsCopy(): CollectionCopy<FactRow> {
    return {
      count: () => countRows(this.db, 'store_facts'),
      read: () => this.facts(),
      write: async (rows) => {
        for (const row of rows)
          await this.db.query('INSERT INTO store_facts (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = $2', [
            row.name,
            row.value,
          ]);
      },
    };
  }

  private async *facts(): AsyncGenerator<FactRow> {
    yield* (await this.db.query<FactRow>('SELECT name, value FROM store_facts ORDER BY name')).rows;
  }

  async since(now: Date): Promise<Date> {
    // The first caller's time wins, whichever replica it is.
    await this.db.query("INSERT INTO store_facts (name, value) VALUES ('digest_since', $1) ON CONFLICT DO NOTHING", [now.toISOString()]);
    const { rows } = await this.db.query<{ value: string }>("SELECT value FROM store_facts WHERE name = 'digest_since'");
    return new Date(rows[0]?.value ?? now.toISOString());
  }

  async get(key: string): Promise<DigestLogEntry | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM digests WHERE key = $1', [key]);
    return rows[0] ? this.decode(rows[0].record) : undefined;
  }

  async all(): Promise<DigestLogEntry[]> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM digests ORDER BY key');
    return rows.map((row) => this.decode(row.record));
  }

  async recordAttempt(
    key: string,
    channel: string,
    at: Date,
    details: Pick<DigestLogEntry, 'period' | 'requestedBy'> = {},
  ): Promise<DigestLogEntry> {
    const entry: DigestLogEntry = { key, channel, attemptedAt: at.toISOString(), ...details };
    await this.db.query('INSERT INTO digests (key, record) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET record = $2', [
      key,
      JSON.stringify(entry),
    ]);
    return entry;
  }

  async update(key: string, change: Partial<Omit<DigestLogEntry, 'key'>>): Promise<DigestLogEntry> {
    const updated = await updateRow(
      this.db,
      'digests',
      key,
      (value) => this.decode(value),
      (entry) => ({ ...entry, ...change }),
      async (tx, next) => {
        await tx.query('UPDATE digests SET record = $2 WHERE key = $1', [key, JSON.stringify(next)]);
      },
    );
    if (!updated) throw new Error(`digest log: no entry ${key}`);
    return updated;
  }
}

/**
 * Each platform's login session in one row, shared by the replicas: a replica that starts resumes
 * the newest one instead of logging in. (Bluesky refresh tokens are single use: two replicas that
 * resumed the same session and both refresh it make one of them log in again, once.)
 */
export class PgSessions implements SessionRepository {
  constructor(
    private readonly db: Db,
    private readonly cipher?: PiiCipher,
  ) {}

  async load(name: string): Promise<unknown> {
    const { rows } = await this.db.query<{ record: { sealed?: unknown; session?: unknown } }>(
      'SELECT record FROM platform_sessions WHERE name = $1',
      [name],
    );
    const record = rows[0]?.record;
    if (!record) return undefined;
    try {
      return typeof record.sealed === 'string' && this.cipher ? this.cipher.open(record.sealed, `sessions/${name}`) : record.session;
    } catch {
      return undefined; // sealed with a key no longer configured: log in again
    }
  }

  async save(name: string, session: unknown): Promise<void> {
    const record = this.cipher ? { sealed: this.cipher.seal(session, `sessions/${name}`) } : { session };
    await this.db.query(
      'INSERT INTO platform_sessions (name, record, updated_at) VALUES ($1, $2, now()) ON CONFLICT (name) DO UPDATE SET record = $2, updated_at = now()',
      [name, JSON.stringify(record)],
    );
  }

  async clear(name: string): Promise<void> {
    await this.db.query('DELETE FROM platform_sessions WHERE name = $1', [name]);
  }

  get copy(): CollectionCopy<SessionRow> {
    return {
      count: () => countRows(this.db, 'platform_sessions'),
      read: () => this.rows(),
      write: async (rows) => {
        for (const { name, session } of rows) await this.save(name, session);
      },
    };
  }

  private async *rows(): AsyncGenerator<SessionRow> {
    const { rows } = await this.db.query<{ name: string }>('SELECT name FROM platform_sessions ORDER BY name');
    for (const { name } of rows) {
      const session = await this.load(name);
      if (session !== undefined) yield { name, session };
    }
  }
}

export class PgLikes extends SealedTable<LikeRecord> implements LikeRepository {
  constructor(db: Db, cipher?: PiiCipher) {
    super(db, 'likes', PERSONAL.likes, isLikeRecord, cipher);
  }

  get copy(): CollectionCopy<LikeRecord> {
    return tableCopy(this.db, 'likes', this.decode, async (likes) => {
      for (const like of likes) await this.record(like);
    });
  }

  async record(like: LikeRecord): Promise<boolean> {
    const { rowCount } = await this.db.query(
      'INSERT INTO likes (key, day, contact_id, record) VALUES ($1, $2, $3, $4) ON CONFLICT (key) DO NOTHING',
      [like.key, like.createdAt.slice(0, 10), like.contactId ?? null, JSON.stringify(this.sealer.seal(like))],
    );
    return rowCount === 1;
  }

  /**
   * Linked to the contact, or made by one of their identities before they were one. The liker is
   * sealed at rest, so the second half reads every like: erasure and export are rare, ingest never does this.
   */
  async forPerson(contactId: string, identities: ReadonlyArray<{ platform: string; userId: string }>): Promise<LikeRecord[]> {
    const found: LikeRecord[] = [];
    for await (const like of streamRecords(this.db, 'likes', 'true', [], this.decode)) {
      const isTheirs =
        like.contactId === contactId ||
        identities.some((identity) => identity.platform === like.platform && identity.userId === like.author.id);
      if (isTheirs) found.push(like);
    }
    return found;
  }

  async reassign(from: string, to: string): Promise<void> {
    await this.db.query(
      `UPDATE likes SET contact_id = $2, record = jsonb_set(record, '{contactId}', to_jsonb($2::text)) WHERE contact_id = $1`,
      [from, to],
    );
  }

  async deleteForPerson(contactId: string, identities: ReadonlyArray<{ platform: string; userId: string }>): Promise<number> {
    const likes = await this.forPerson(contactId, identities);
    if (likes.length) await this.db.query('DELETE FROM likes WHERE key = ANY($1)', [likes.map((like) => like.key)]);
    return likes.length;
  }

  readDay(day: string): AsyncIterable<LikeRecord> {
    return streamRecords(this.db, 'likes', 'day = $1', [day], this.decode);
  }
}

/** Private conversations and their messages (migration 4), sealed like the files. */
export class PgConversations implements ConversationRepository {
  private readonly conversations: RecordSealer<ConversationRecord>;
  private readonly messages: RecordSealer<DirectMessageRecord>;

  constructor(
    private readonly db: Db,
    cipher?: PiiCipher,
  ) {
    this.conversations = new RecordSealer('conversations', PERSONAL.conversations, isConversationRecord, cipher, 'the conversations table');
    this.messages = new RecordSealer('directMessages', PERSONAL.directMessages, isDirectMessageRecord, cipher, 'the direct_messages table');
  }

  private readonly openConversation = (stored: unknown): ConversationRecord => this.conversations.open(asStored(stored));
  private readonly openMessage = (stored: unknown): DirectMessageRecord => this.messages.open(asStored(stored));

  get copy(): { conversations: CollectionCopy; directMessages: CollectionCopy; erasedConversations: CollectionCopy<TombstoneRow> } {
    return {
      conversations: tableCopy(this.db, 'conversations', this.openConversation, async (records) => {
        for (const record of records) await this.writeConversation(this.db, record);
      }),
      directMessages: tableCopy(this.db, 'direct_messages', this.openMessage, async (records) => {
        for (const record of records) await this.writeMessage(this.db, record, 'UPDATE SET record = excluded.record');
      }),
      erasedConversations: {
        count: () => countRows(this.db, 'erased_conversations'),
        read: () => this.tombstones(),
        write: async (rows) => {
          await this.db.query(
            'INSERT INTO erased_conversations (hash, erased_at) SELECT * FROM unnest($1::text[], $2::timestamptz[]) ON CONFLICT DO NOTHING',
            [rows.map((row) => row.hash), rows.map((row) => row.at)],
          );
        },
      },
    };
  }

  private async *tombstones(): AsyncGenerator<TombstoneRow> {
    const { rows } = await this.db.query<{ hash: string; erased_at: Date }>(
      'SELECT hash, erased_at FROM erased_conversations ORDER BY hash',
    );
    for (const row of rows) yield { hash: row.hash, at: row.erased_at.toISOString() };
  }

  private async writeConversation(db: Db, record: ConversationRecord): Promise<void> {
    await db.query(
      `INSERT INTO conversations (key, contact_id, record) VALUES ($1, $2, $3)
       ON CONFLICT (key) DO UPDATE SET contact_id = excluded.contact_id, record = excluded.record`,
      [record.key, record.contactId, JSON.stringify(this.conversations.seal(record))],
    );
  }

  private async writeMessage(db: Db, message: DirectMessageRecord, onConflict: string): Promise<number> {
    const { rowCount } = await db.query(
      `INSERT INTO direct_messages (key, conversation_key, contact_id, day, sent_at, record) VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (key) DO ${onConflict}`,
      [
        message.key,
        message.conversationKey,
        message.contactId,
        message.sentAt.slice(0, 10),
        message.sentAt,
        JSON.stringify(this.messages.seal(message)),
      ],
    );
    return rowCount ?? 0;
  }

  async get(key: string): Promise<ConversationRecord | undefined> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM conversations WHERE key = $1', [key]);
    return rows[0] ? this.openConversation(rows[0].record) : undefined;
  }

  upsert(
    key: string,
    change: (current: ConversationRecord | undefined) => ConversationRecord | undefined,
  ): Promise<ConversationRecord | undefined> {
    return this.db.transaction(async (tx) => {
      // Two replicas creating the same conversation at once: the advisory lock on the key orders them.
      await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [key]);
      const { rows } = await tx.query<{ record: unknown }>('SELECT record FROM conversations WHERE key = $1 FOR UPDATE', [key]);
      const current = rows[0] ? this.openConversation(rows[0].record) : undefined;
      const next = change(current);
      if (!next) return current;
      if (next.key !== key) throw new Error(`upsert of ${key} may not change its key`);
      await this.writeConversation(tx, next);
      return next;
    });
  }

  upsertMany(
    keys: readonly string[],
    change: (key: string, current: ConversationRecord | undefined) => ConversationRecord | undefined,
  ): Promise<ConversationRecord[]> {
    // One transaction (one commit); keys in one order for every caller, so two never deadlock.
    return this.db.transaction(async (tx) => {
      const repository = new PgConversations(tx, this.conversations.cipher);
      const written: ConversationRecord[] = [];
      for (const key of [...new Set(keys)].sort()) {
        let changed = false;
        const result = await repository.upsert(key, (current) => {
          const next = change(key, current);
          changed = next !== undefined;
          return next;
        });
        if (changed && result) written.push(result);
      }
      return written;
    });
  }

  addMessages(messages: readonly DirectMessageRecord[]): Promise<DirectMessageRecord[]> {
    return this.db.transaction(async (tx) => {
      const written: DirectMessageRecord[] = [];
      for (const message of messages) if ((await this.writeMessage(tx, message, 'NOTHING')) === 1) written.push(message);
      return written;
    });
  }

  async recordMessagesPosted(posted: ReadonlyArray<{ key: string; ts: string }>): Promise<number> {
    if (!posted.length) return 0;
    // The Slack place is never sealed: set in place, without opening the message.
    const { rowCount } = await this.db.query(
      `UPDATE direct_messages d SET record = jsonb_set(d.record, '{slack,ts}', to_jsonb(v.ts))
       FROM unnest($1::text[], $2::text[]) AS v(key, ts)
       WHERE d.key = v.key AND d.record ? 'slack' AND NOT (d.record->'slack' ? 'ts')`,
      [posted.map((entry) => entry.key), posted.map((entry) => entry.ts)],
    );
    return rowCount ?? 0;
  }

  async forContact(contactId: string): Promise<ConversationRecord[]> {
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM conversations WHERE contact_id = $1', [contactId]);
    return rows.map((row) => this.openConversation(row.record)).sort((a, b) => (a.lastMessageAt < b.lastMessageAt ? 1 : -1));
  }

  all(): AsyncIterable<ConversationRecord> {
    return streamRecords(this.db, 'conversations', 'true', [], this.openConversation);
  }

  async getMessages(keys: readonly string[]): Promise<Map<string, DirectMessageRecord>> {
    const found = new Map<string, DirectMessageRecord>();
    if (!keys.length) return found;
    const { rows } = await this.db.query<{ record: unknown }>('SELECT record FROM direct_messages WHERE key = ANY($1)', [keys]);
    for (const row of rows) {
      const message = this.openMessage(row.record);
      found.set(message.key, message);
    }
    return found;
  }

  async addMessage(message: DirectMessageRecord): Promise<{ message: DirectMessageRecord; isNew: boolean }> {
    if ((await this.writeMessage(this.db, message, 'NOTHING')) === 1) return { message, isNew: true };
    const stored = (await this.getMessages([message.key])).get(message.key);
    return { message: stored ?? message, isNew: false };
  }

  async messagesOf(conversationKey: string): Promise<DirectMessageRecord[]> {
    const { rows } = await this.db.query<{ record: unknown }>(
      'SELECT record FROM direct_messages WHERE conversation_key = $1 ORDER BY sent_at, key',
      [conversationKey],
    );
    return rows.map((row) => this.openMessage(row.record));
  }

  readMessagesDay(day: string): AsyncIterable<DirectMessageRecord> {
    return streamRecords(this.db, 'direct_messages', 'day = $1', [day], this.openMessage);
  }

  async reassignContact(from: string, to: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await tx.query(
        `UPDATE conversations SET contact_id = $2, record = jsonb_set(record, '{contactId}', to_jsonb($2::text)) WHERE contact_id = $1`,
        [from, to],
      );
      await tx.query(
        `UPDATE direct_messages SET contact_id = $2, record = jsonb_set(record, '{contactId}', to_jsonb($2::text)) WHERE contact_id = $1`,
        [from, to],
      );
    });
  }

  deleteForContact(contactId: string): Promise<{ conversations: ConversationRecord[]; messages: DirectMessageRecord[] }> {
    return this.db.transaction(async (tx) => {
      const conversations = (
        await tx.query<{ record: unknown }>('SELECT record FROM conversations WHERE contact_id = $1 FOR UPDATE', [contactId])
      ).rows.map((row) => this.openConversation(row.record));
      const keys = conversations.map((conversation) => conversation.key);
      const messages = (
        await tx.query<{ record: unknown }>(
          'DELETE FROM direct_messages WHERE contact_id = $1 OR conversation_key = ANY($2) RETURNING record',
          [contactId, keys],
        )
      ).rows.map((row) => this.openMessage(row.record));
      await tx.query('DELETE FROM conversations WHERE contact_id = $1', [contactId]);
      await tx.query('INSERT INTO erased_conversations (hash) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [keys.map(erasureHash)]);
      return { conversations, messages };
    });
  }

  async erasedAt(conversationKey: string): Promise<string | undefined> {
    const { rows } = await this.db.query<{ erased_at: Date }>('SELECT erased_at FROM erased_conversations WHERE hash = $1', [
      erasureHash(conversationKey),
    ]);
    return rows[0]?.erased_at.toISOString();
  }
}
