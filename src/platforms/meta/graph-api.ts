import { PlatformError } from '../platform.ts';

/**
 * Meta's Graph API, as the Facebook Page and Instagram adapters use it: one pinned version
 * (`META_GRAPH_VERSION`), the Page access token in the Authorization header (never in a URL, so
 * never in a log line), Meta's usage headers read after every call, and its errors turned into
 * PlatformErrors.
 *
 * Throttling, from Meta's rate-limiting guide: `X-App-Usage` and `X-Business-Use-Case-Usage` give
 * the percentage used of each quota; above 80 % calls are spaced out (the closer to 100 %, the
 * longer the pause), and the throttling codes (4, 17, 32, 613, and 80001–80009 for business use
 * cases) wait for `estimated_time_to_regain_access` when Meta gives it, else a minute.
 */

/** Above this share of any quota, calls are spaced out. */
const SLOW_DOWN_AT_PERCENT = 80;
/** The pause before a call at 100 % of a quota. */
const LONGEST_PAUSE_MS = 30_000;
const THROTTLING_CODES = new Set([4, 17, 32, 613]);
const TIMEOUT_MS = 15_000;

export interface GraphApiOptions {
  /** `META_GRAPH_URL`, e.g. `https://graph.facebook.com/`. */
  baseUrl: string;
  /** `META_GRAPH_VERSION`, e.g. `v25.0`. */
  version: string;
  accessToken: string;
  /** Waits (tests shorten it). */
  sleep?: (ms: number) => Promise<void>;
}

/** The error body Meta answers with. */
interface GraphErrorBody {
  error?: { message?: string; type?: string; code?: number; error_subcode?: number; fbtrace_id?: string };
}

export class GraphError extends PlatformError {
  constructor(
    code: ConstructorParameters<typeof PlatformError>[0],
    message: string,
    readonly graph: { code?: number; subcode?: number; status: number },
    resetAt?: Date,
  ) {
    super(code, message, { status: graph.status, resetAt });
  }
}

export class GraphApi {
  /** The highest share (0–100) of any quota in the last answer. */
  usagePercent = 0;
  private readonly sleep: (ms: number) => Promise<void>;

  constructor(private readonly options: GraphApiOptions) {
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
  }

  get<T>(path: string, params: Record<string, string | number | undefined> = {}): Promise<T> {
    return this.call<T>('GET', path, params);
  }

  post<T>(path: string, body: Record<string, unknown>): Promise<T> {
    return this.call<T>('POST', path, {}, body);
  }

  delete<T>(path: string): Promise<T> {
    return this.call<T>('DELETE', path, {});
  }

  private async call<T>(
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    params: Record<string, string | number | undefined>,
    body?: unknown,
  ): Promise<T> {
    await this.paceForUsage();
    const url = new URL(`${this.options.version}/${path.replace(/^\//, '')}`, withSlash(this.options.baseUrl));
    for (const [name, value] of Object.entries(params)) if (value !== undefined) url.searchParams.set(name, String(value));
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.options.accessToken}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (error) {
      throw new PlatformError(
        'unavailable',
        `Meta's Graph API could not be reached (${error instanceof Error ? error.message : String(error)})`,
        {
          cause: error,
        },
      );
    }
    this.usagePercent = usageOf(response.headers);
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : {};
    } catch {
      throw new PlatformError('unavailable', `Meta's Graph API answered ${response.status} with something that is not JSON`, {
        status: response.status,
      });
    }
    if (response.ok) return parsed as T;
    throw errorOf(response.status, parsed as GraphErrorBody, response.headers);
  }

  /** Spaces calls out when a quota is above 80 %: from nothing at 80 % to 30 s at 100 %. */
  private async paceForUsage(): Promise<void> {
    if (this.usagePercent <= SLOW_DOWN_AT_PERCENT) return;
    const share = Math.min(1, (this.usagePercent - SLOW_DOWN_AT_PERCENT) / (100 - SLOW_DOWN_AT_PERCENT));
    await this.sleep(Math.round(share * LONGEST_PAUSE_MS));
  }
}

/** The highest percentage in `X-App-Usage` and `X-Business-Use-Case-Usage` (0 when absent or unreadable). */
export function usageOf(headers: Headers): number {
  let highest = 0;
  const consider = (value: unknown) => {
    if (typeof value === 'number' && Number.isFinite(value)) highest = Math.max(highest, value);
  };
  const app = parseJson(headers.get('x-app-usage'));
  if (isRecord(app)) for (const value of Object.values(app)) consider(value);
  const business = parseJson(headers.get('x-business-use-case-usage'));
  if (isRecord(business)) {
    for (const entries of Object.values(business)) {
      if (!Array.isArray(entries)) continue;
      for (const entry of entries) {
        if (!isRecord(entry)) continue;
        consider(entry.call_count);
        consider(entry.total_cputime);
        consider(entry.total_time);
      }
    }
  }
  return highest;
}

/** When a business-use-case quota says access comes back (`estimated_time_to_regain_access`, minutes). */
function regainAccessAt(headers: Headers): Date | undefined {
  const business = parseJson(headers.get('x-business-use-case-usage'));
  if (!isRecord(business)) return undefined;
  let minutes = 0;
  for (const entries of Object.values(business)) {
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      if (isRecord(entry) && typeof entry.estimated_time_to_regain_access === 'number') {
        minutes = Math.max(minutes, entry.estimated_time_to_regain_access);
      }
    }
  }
  return minutes > 0 ? new Date(Date.now() + minutes * 60_000) : undefined;
}

function errorOf(status: number, body: GraphErrorBody, headers: Headers): GraphError {
  const code = body.error?.code;
  const subcode = body.error?.error_subcode;
  // Meta's messages are about the request, not the person; still, only the first line is kept.
  const said = (body.error?.message ?? `HTTP ${status}`).split('\n')[0]?.slice(0, 300) ?? '';
  const graph = { code, subcode, status };
  if (code !== undefined && (THROTTLING_CODES.has(code) || (code >= 80_001 && code <= 80_009))) {
    return new GraphError(
      'rate_limited',
      `Meta is throttling this app (#${code}): ${said}`,
      graph,
      regainAccessAt(headers) ?? new Date(Date.now() + 60_000),
    );
  }
  if (code === 190 || status === 401)
    return new GraphError('unauthorized', `Meta refused the Page access token (#${code ?? status}): ${said}`, graph);
  if (code === 1 || code === 2 || status >= 500)
    return new GraphError('unavailable', `Meta's Graph API failed (#${code ?? status}): ${said}`, graph);
  if (code === 10 || code === 200 || (code !== undefined && code >= 200 && code < 300)) {
    return new GraphError('scope', `Meta refused the permission (#${code}${subcode ? `/${subcode}` : ''}): ${said}`, graph);
  }
  return new GraphError('rejected', `Meta refused it (#${code ?? status}${subcode ? `/${subcode}` : ''}): ${said}`, graph);
}

function parseJson(text: string | null): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const withSlash = (url: string) => (url.endsWith('/') ? url : `${url}/`);
