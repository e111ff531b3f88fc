import pg from 'pg';

/**
 * The pool, or one connection inside a transaction: repositories run the same SQL on either, so an
 * operation over several of them (`Store.atomically`) is one transaction.
 */
export class Db {
  private constructor(
    readonly pool: pg.Pool,
    private readonly client?: pg.PoolClient,
    /** Work to run if the transaction is rolled back (in-memory indexes put back to what is committed). */
    private readonly onRollback: Array<() => void> = [],
  ) {}

  static connect(url: string, options: { max?: number } = {}): Db {
    const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10 });
    // An idle connection the server closes (a restart, a failover) must not crash the process:
    // the pool drops it and the next query opens another.
    pool.on('error', () => {});
    const db = new Db(pool);
    pool.on('connect', (client) => {
      const pid = (client as pg.Client & { processID?: number }).processID;
      if (pid) db.ownSessions.add(pid);
    });
    pool.on('remove', (client) => {
      const pid = (client as pg.Client & { processID?: number }).processID;
      if (pid) db.ownSessions.delete(pid);
    });
    return db;
  }

  /** The server process IDs of this pool's connections: a notification from one of them is our own write. */
  readonly ownSessions = new Set<number>();

  get inTransaction(): boolean {
    return this.client !== undefined;
  }

  query<R extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return (this.client ?? this.pool).query<R>(text, values);
  }

  /** Runs `work` in a transaction (or in the one already open), committing if it returns. */
  async transaction<T>(work: (db: Db) => Promise<T>): Promise<T> {
    if (this.client) return work(this);
    const client = await this.pool.connect();
    const inner = new Db(this.pool, client, []);
    try {
      await client.query('BEGIN');
      const result = await work(inner);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      for (const run of inner.onRollback) run();
      throw error;
    } finally {
      client.release();
    }
  }

  /** Runs `work` if the current transaction is rolled back; never outside one. */
  afterRollback(work: () => void): void {
    if (this.client) this.onRollback.push(work);
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

/** `SELECT … FOR UPDATE`, change in JavaScript, write back: one row's read-modify-write, atomic across replicas. */
export async function updateRow<T>(
  db: Db,
  table: string,
  key: string,
  decode: (stored: unknown) => T,
  change: (current: T) => T | undefined,
  write: (db: Db, next: T) => Promise<void>,
): Promise<T | undefined> {
  return db.transaction(async (tx) => {
    const { rows } = await tx.query<{ record: unknown }>(`SELECT record FROM ${table} WHERE key = $1 FOR UPDATE`, [key]);
    const row = rows[0];
    if (!row) return undefined;
    const current = decode(row.record);
    const next = change(current);
    if (!next) return current;
    await write(tx, next);
    return next;
  });
}

/** Rows read per round trip when a day or a table is streamed (a day of a viral brand is large). */
const PAGE = 1000;

/** Streams `SELECT record … ORDER BY <order>` in pages by keyset, decoding each. */
export async function* streamRecords<T>(
  db: Db,
  from: string,
  where: string,
  values: unknown[],
  decode: (stored: unknown) => T,
): AsyncGenerator<T> {
  let after = '';
  for (;;) {
    const n = values.length;
    const { rows } = await db.query<{ key: string; record: unknown }>(
      `SELECT key, record FROM ${from} WHERE ${where} AND key > $${n + 1} ORDER BY key LIMIT ${PAGE}`,
      [...values, after],
    );
    for (const row of rows) yield decode(row.record);
    const last = rows.at(-1);
    if (!last || rows.length < PAGE) return;
    after = last.key;
  }
}

/** How many rows a table holds. */
export async function countRows(db: Db, table: string): Promise<number> {
  const { rows } = await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`);
  return Number(rows[0]?.n ?? 0);
}
