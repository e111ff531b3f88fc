import { Cron } from 'croner';
import { DigestSchedule } from '../domain/digest-schedule.ts';
import type { Log } from '../log.ts';
import type { DigestService } from '../services/digest.ts';
import type { Leadership } from '../services/leadership.ts';
import type { DigestLogRepository } from '../services/repositories.ts';

export interface DigestSchedulerOptions {
  cron: string;
  timeZone: string;
  now: () => Date;
  /** How often to check that no run was missed (a spring gap, a sleeping machine, a failed post). */
  checkEveryMs: number;
  /** With several replicas, only the one holding the digest duty posts: one digest a day across them. */
  leadership?: Leadership;
}

/**
 * Posts the daily digest on DIGEST_CRON in DIGEST_TIMEZONE. croner fires runs on time; each run,
 * and a check at start-up and every few minutes, asks which run is due by now and posts that run's
 * digest if it is not posted yet. So a run missed while the bot was down is posted on start-up, a
 * run in a daylight-saving gap is posted just after it, and repeats (an autumn hour seen twice, a
 * restart) find the digest already posted. Runs never overlap.
 */
export class DigestScheduler {
  private task?: Cron;
  private readonly schedule: DigestSchedule;
  private timer?: NodeJS.Timeout;
  private since?: Date;
  private chain: Promise<void> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly digests: DigestService,
    private readonly digestLog: Pick<DigestLogRepository, 'since'>,
    private readonly log: Log,
    private readonly options: DigestSchedulerOptions,
  ) {
    this.schedule = new DigestSchedule(options.cron, options.timeZone);
  }

  async start(): Promise<void> {
    this.since = await this.digestLog.since(this.options.now());
    // The same library, and the same expression, decide when runs fire and which run is due.
    // `protect` keeps runs from overlapping; each one only asks which digest is due.
    this.task = new Cron(this.options.cron, { timezone: this.options.timeZone, name: 'switchboard-daily-digest', protect: true }, () =>
      this.runDue(),
    );
    this.timer = setInterval(() => void this.runDue(), this.options.checkEveryMs);
    this.timer.unref();
    void this.runDue();
    const next = this.schedule.nextRun(this.options.now());
    this.log.info(`daily digest scheduled "${this.options.cron}" in ${this.options.timeZone}; next run ${next?.toISOString() ?? 'never'}`);
  }

  /** Posts the digest of the run due by now, if it is not posted yet. Calls queue; none overlap. */
  runDue(): Promise<void> {
    this.chain = this.chain.then(() => this.postIfDue());
    return this.chain;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    this.task?.stop();
    await this.chain;
  }

  private async postIfDue(): Promise<void> {
    if (this.stopped || !this.since) return;
    const now = this.options.now();
    const due = this.schedule.latestDueRun(now);
    // A run from before this DATA_DIR was ever scheduled was not missed: nothing to catch up.
    if (!due || due.runAt < this.since) return;
    // Asked at every check: a replica that takes the duty over posts a run its predecessor missed.
    if (this.options.leadership && !(await this.options.leadership.claim('digest'))) return;
    try {
      const outcome = await this.digests.postDaily(due.day, now);
      if (outcome === 'posted') this.log.info(`daily digest for ${due.day} posted (run of ${due.runAt.toISOString()})`);
    } catch (error) {
      const detail = error instanceof Error ? error.message : String(error);
      this.log.warn(
        `daily digest for ${due.day} not posted yet (${detail}); trying again in ${Math.round(this.options.checkEveryMs / 1000)} s`,
      );
    }
  }
}
