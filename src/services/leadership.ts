/**
 * Duties only one replica may do at a time: polling the platforms (and with it posting mention
 * messages, which keeps Slack's per-channel pace across replicas) and the digest schedule. With the
 * lowdb files there is one process (the data folder's lock sees to it) and it holds every duty;
 * with PostgreSQL, replicas compete for each and another takes over when the holder dies.
 */
export type Duty = 'ingest' | 'digest';

export interface Leadership {
  /**
   * Takes the duty if no replica holds it, or confirms this one still does: a signal that is
   * aborted the moment the duty is lost (the database connection that holds it broke), or
   * undefined while another replica holds it.
   */
  claim(duty: Duty): Promise<AbortSignal | undefined>;
  /** The duties this replica holds now (`/healthz`). */
  held(): Duty[];
  /** Gives every duty up (a clean stop: the others take over at once). */
  close(): Promise<void>;
}

/** One process, every duty: the lowdb files. */
export class SoleLeadership implements Leadership {
  private readonly forever = new AbortController().signal;
  private readonly claimed = new Set<Duty>();

  async claim(duty: Duty): Promise<AbortSignal> {
    this.claimed.add(duty);
    return this.forever;
  }

  held(): Duty[] {
    return [...this.claimed];
  }

  async close(): Promise<void> {
    this.claimed.clear();
  }
}
