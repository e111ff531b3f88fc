import pg from 'pg';
import type { Duty, Leadership } from '../../services/leadership.ts';

/** How long a liveness check of the lock connection may take before the duties count as lost. */
const PING_TIMEOUT_MS = 5_000;

/**
 * Duties as PostgreSQL session advisory locks, held on one dedicated connection. When a replica
 * dies (a crash, `kill -9`, a lost host) its connection closes and the server releases its locks:
 * the next replica to ask gets the duty. A replica whose connection breaks loses its duties at
 * once (their signals abort), so it stops before another could start; it asks again on a new
 * connection at its next turn.
 */
export class PgLeadership implements Leadership {
  private client?: pg.Client;
  private connecting?: Promise<pg.Client>;
  private readonly duties = new Map<Duty, AbortController>();
  private closed = false;

  constructor(private readonly url: string) {}

  async claim(duty: Duty): Promise<AbortSignal | undefined> {
    if (this.closed) return undefined;
    try {
      const client = await this.connection();
      const holding = this.duties.get(duty);
      if (holding) {
        // Held already (advisory locks are re-entrant: asking again would stack them): check the connection lives.
        await client.query({ text: 'SELECT 1', query_timeout: PING_TIMEOUT_MS } as pg.QueryConfig);
        return holding.signal;
      }
      const { rows } = await client.query<{ taken: boolean }>({
        text: 'SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS taken',
        values: [`switchboard:${duty}`],
        query_timeout: PING_TIMEOUT_MS,
      } as pg.QueryConfig);
      if (!rows[0]?.taken) return undefined;
      const tenure = new AbortController();
      this.duties.set(duty, tenure);
      return tenure.signal;
    } catch {
      this.loseAll();
      return undefined;
    }
  }

  held(): Duty[] {
    return [...this.duties.keys()];
  }

  async close(): Promise<void> {
    this.closed = true;
    const client = this.client;
    this.loseAll();
    // Closing the session releases its locks: the other replicas take over at their next turn.
    await client?.end().catch(() => {});
  }

  private connection(): Promise<pg.Client> {
    if (this.client) return Promise.resolve(this.client);
    this.connecting ??= (async () => {
      const client = new pg.Client({ connectionString: this.url, keepAlive: true });
      client.on('error', () => this.loseAll());
      client.on('end', () => this.loseAll());
      try {
        await client.connect();
      } catch (error) {
        this.connecting = undefined;
        throw error;
      }
      this.client = client;
      this.connecting = undefined;
      return client;
    })();
    return this.connecting;
  }

  private loseAll(): void {
    for (const tenure of this.duties.values()) tenure.abort(new Error('this replica lost its duties: the connection to PostgreSQL broke'));
    this.duties.clear();
    const client = this.client;
    this.client = undefined;
    void client?.end().catch(() => {});
  }
}
