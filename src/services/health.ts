/**
 * What `/healthz` reports: the Slack connection and each platform poller, each in one of a few
 * states with the reason, so an operator sees "rate_limited until 09:15" rather than silence.
 */
export type ComponentState =
  | 'starting'
  | 'ok'
  | 'rate_limited'
  | 'backing_off'
  | 'failing'
  | 'stopped'
  /** Another replica does this (it holds the duty); this one takes over if that one dies. */
  | 'standby';

export interface ComponentHealth {
  state: ComponentState;
  detail?: string;
  since: string;
  /** When a wait ends (rate limit reset, next retry). */
  until?: string;
  lastSuccessAt?: string;
}

export class Health {
  private readonly components = new Map<string, ComponentHealth>();

  /** Which duties this replica holds, with several replicas on PostgreSQL (`/healthz` `roles`). */
  private roles: () => string[] = () => [];

  constructor(private readonly now: () => Date = () => new Date()) {}

  reportRoles(roles: () => string[]): void {
    this.roles = roles;
  }

  set(component: string, state: ComponentState, extra: { detail?: string; until?: Date } = {}): void {
    const previous = this.components.get(component);
    const now = this.now().toISOString();
    this.components.set(component, {
      state,
      detail: extra.detail,
      since: previous?.state === state ? previous.since : now,
      until: extra.until?.toISOString(),
      lastSuccessAt: state === 'ok' ? now : previous?.lastSuccessAt,
    });
  }

  get(component: string): ComponentHealth | undefined {
    return this.components.get(component);
  }

  /** The `/healthz` body: `slack` and `platforms.<id>`. */
  snapshot(): {
    status: 'ok' | 'degraded';
    slack?: ComponentHealth;
    platforms: Record<string, ComponentHealth>;
    roles: string[];
  } {
    const platforms: Record<string, ComponentHealth> = {};
    for (const [name, health] of this.components) {
      if (name.startsWith('platform:')) platforms[name.slice('platform:'.length)] = health;
    }
    const all = [...this.components.values()];
    const degraded = all.some((c) => c.state === 'failing' || c.state === 'backing_off');
    return { status: degraded ? 'degraded' : 'ok', slack: this.components.get('slack'), platforms, roles: this.roles() };
  }
}

export const platformComponent = (id: string) => `platform:${id}`;
