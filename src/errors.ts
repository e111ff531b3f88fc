/**
 * The one base of Switchboard's own errors. `code` names what happened; `recovery` tells the
 * callers that switch on it (start-up in main.ts, the poller, the reply service) what to do:
 * - `transient`: nothing a person must do; try again later (rate limits, timeouts, 5xx).
 * - `needs_person`: retrying will not help until someone acts (bad credentials, a corrupt file,
 *   a channel the bot is not in, a missing key).
 */
export type Recovery = 'transient' | 'needs_person';

export class SwitchboardError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly recovery: Recovery,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  get isTransient(): boolean {
    return this.recovery === 'transient';
  }
}
