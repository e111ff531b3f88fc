import { parse as parseCsv } from 'csv-parse/sync';
import { z } from 'zod';
import { SwitchboardError } from '../errors.ts';

/**
 * Customers and orders from a shop or billing system, as files (CSV or JSON) or pushed to
 * POST /crm/sync. Pure: parses and checks everything first and reports each bad row and field, so
 * an import is applied whole or not at all.
 */
export interface CustomerInput {
  externalId: string;
  name: string;
  email?: string;
  phone?: string;
  company?: string;
  tags: string[];
  /** An X handle, without @. */
  handle?: string;
  /** A Mastodon handle, `name@server`, without the first @. */
  mastodon?: string;
  /** A Bluesky handle, `name.bsky.social` (a domain), without @. */
  bluesky?: string;
}

export interface OrderInput {
  externalId: string;
  /** Links the order to a contact: the customer's external ID, or their email. */
  customerExternalId?: string;
  email?: string;
  /** In minor units (cents), to add up exactly. */
  totalCents: number;
  currency: string;
  status: string;
  createdAt: string;
}

export interface CustomerData {
  customers: CustomerInput[];
  orders: OrderInput[];
}

export interface DataProblem {
  /** 1-based row in the file (the header is row 1), or item index + 1 in JSON. */
  row: number;
  field: string;
  message: string;
}

export class CustomerDataError extends SwitchboardError {
  constructor(readonly problems: DataProblem[]) {
    super(
      'customer_data_invalid',
      `${problems.length} problem(s): ${problems
        .slice(0, 5)
        .map((p) => `row ${p.row}, ${p.field}: ${p.message}`)
        .join('; ')}`,
      'needs_person',
    );
  }
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Reads a CSV (customers or orders, told apart by their columns) or a JSON `{ customers, orders }`. */
export function parseCustomerFile(text: string, format: 'csv' | 'json'): CustomerData {
  if (format === 'json') {
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (error) {
      throw new CustomerDataError([{ row: 0, field: 'file', message: `not valid JSON (${(error as Error).message})` }]);
    }
    return validateCustomerData(data);
  }
  let rows: Record<string, string>[];
  try {
    // csv-parse handles what hand-written splitting gets wrong: quoted commas and newlines, "" escapes, a BOM, CRLF.
    rows = parseCsv(text, {
      bom: true,
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
    });
  } catch (error) {
    throw new CustomerDataError([{ row: 0, field: 'file', message: `not valid CSV (${(error as Error).message})` }]);
  }
  const isOrders = rows.length > 0 && 'order_id' in (rows[0] ?? {});
  const items = rows.map((row) => (isOrders ? csvOrder(row) : csvCustomer(row)));
  return validateCustomerData(isOrders ? { customers: [], orders: items } : { customers: items, orders: [] }, 2);
}

function csvCustomer(row: Record<string, string>) {
  return {
    externalId: row.external_id ?? row.customer_id ?? row.id,
    name: row.name,
    email: row.email || undefined,
    phone: row.phone || undefined,
    company: row.company || undefined,
    tags: row.tags
      ? row.tags
          .split(/[;|]/)
          .map((tag) => tag.trim())
          .filter(Boolean)
      : [],
    handle: row.x_handle || row.handle || undefined,
    mastodon: row.mastodon_handle || row.mastodon || undefined,
    bluesky: row.bluesky_handle || row.bluesky || undefined,
  };
}

function csvOrder(row: Record<string, string>) {
  return {
    externalId: row.order_id,
    customerExternalId: row.customer_id || row.external_id || undefined,
    email: row.email || undefined,
    total: row.total,
    currency: row.currency,
    status: row.status || 'placed',
    createdAt: row.created_at ?? row.date,
  };
}

/** Longest value accepted per field: a pushed 1 MB name is refused, not stored. */
const MAX = { id: 100, name: 200, email: 254, phone: 40, company: 200, tag: 40, tags: 20, handle: 253, status: 40, money: 20 } as const;
/** At most this many customers, and this many orders, in one payload. */
export const MAX_ITEMS_PER_IMPORT = 50_000;

/** A text field: text or a number (a shop may send IDs as numbers), trimmed, empty as absent, bounded. */
const textField = (max: number) =>
  z
    .union([z.string(), z.number().finite()], { error: 'must be text' })
    .transform((value) => String(value).trim())
    .refine((value) => value.length <= max, `is longer than ${max} characters`)
    .transform((value) => value || undefined)
    .optional()
    .nullable();

const customerRow = z.object({
  externalId: textField(MAX.id),
  external_id: textField(MAX.id),
  name: textField(MAX.name),
  email: textField(MAX.email),
  phone: textField(MAX.phone),
  company: textField(MAX.company),
  tags: z
    .union([z.array(textField(MAX.tag)).max(MAX.tags, `at most ${MAX.tags} tags`), textField(MAX.tag * MAX.tags)], {
      error: 'must be a list of words, or words separated by ; or |',
    })
    .optional()
    .nullable(),
  handle: textField(MAX.handle),
  x_handle: textField(MAX.handle),
  mastodon: textField(MAX.handle),
  mastodon_handle: textField(MAX.handle),
  bluesky: textField(MAX.handle),
  bluesky_handle: textField(MAX.handle),
});

const orderRow = z.object({
  externalId: textField(MAX.id),
  order_id: textField(MAX.id),
  id: textField(MAX.id),
  customerExternalId: textField(MAX.id),
  customer_id: textField(MAX.id),
  email: textField(MAX.email),
  total: textField(MAX.money),
  totalCents: textField(MAX.money),
  currency: textField(3 + 10),
  status: textField(MAX.status),
  createdAt: textField(40),
  created_at: textField(40),
});

/** The name a problem is reported under: the CSV column a person would look for. */
const FIELD_NAME: Record<string, string> = {
  externalId: 'external_id',
  x_handle: 'handle',
  mastodon: 'mastodon_handle',
  bluesky: 'bluesky_handle',
  order_id: 'order_id',
  id: 'order_id',
  customerExternalId: 'customer_id',
  totalCents: 'total',
  createdAt: 'created_at',
};

const envelope = z.object({
  customers: z.array(z.unknown()).max(MAX_ITEMS_PER_IMPORT, `at most ${MAX_ITEMS_PER_IMPORT} customers at a time`).optional(),
  orders: z.array(z.unknown()).max(MAX_ITEMS_PER_IMPORT, `at most ${MAX_ITEMS_PER_IMPORT} orders at a time`).optional(),
});

/** Parses one row with zod, reporting each bad field under its column name; undefined when any is bad. */
function parseRow<T extends z.ZodType>(schema: T, raw: unknown, row: number, problems: DataProblem[]): z.output<T> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    problems.push({ row, field: 'row', message: 'must be an object' });
    return undefined;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) {
    const field = String(issue.path[0] ?? 'row');
    problems.push({ row, field: FIELD_NAME[field] ?? field, message: issue.message });
  }
  return undefined;
}

/** Checks a `{ customers, orders }` payload; `firstRow` is 2 for a CSV (after its header), 1 for JSON. */
export function validateCustomerData(data: unknown, firstRow = 1): CustomerData {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CustomerDataError([{ row: 0, field: 'body', message: 'expected an object with "customers" and/or "orders" arrays' }]);
  }
  const outer = envelope.safeParse(data);
  if (!outer.success) {
    throw new CustomerDataError(
      outer.error.issues.map((issue) => ({
        row: 0,
        field: String(issue.path[0] ?? 'body'),
        message: issue.code === 'invalid_type' ? 'must be an array' : issue.message,
      })),
    );
  }
  const problems: DataProblem[] = [];
  const customers: CustomerInput[] = [];
  const orders: OrderInput[] = [];
  const seenCustomers = new Set<string>();
  const seenOrders = new Set<string>();
  (outer.data.customers ?? []).forEach((item, index) => {
    const row = index + firstRow;
    const problem = (field: string, message: string) => problems.push({ row, field, message });
    const raw = parseRow(customerRow, item, row, problems);
    if (!raw) return;
    const externalId = raw.externalId ?? raw.external_id;
    const name = raw.name;
    const email = raw.email?.toLowerCase();
    if (!externalId) problem('external_id', 'is required');
    else if (seenCustomers.has(externalId)) problem('external_id', `"${externalId}" appears twice in this import`);
    if (!name) problem('name', 'is required');
    if (email && !EMAIL.test(email)) problem('email', `"${email}" is not an email address`);
    const mastodon = (raw.mastodon ?? raw.mastodon_handle)?.replace(/^@/, '');
    if (mastodon && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(mastodon))
      problem('mastodon_handle', `"${mastodon}" is not a Mastodon handle like name@mastodon.social`);
    const bluesky = (raw.bluesky ?? raw.bluesky_handle)?.replace(/^@/, '').toLowerCase();
    if (bluesky && !/^([a-z0-9-]+\.)+[a-z]{2,}$/.test(bluesky))
      problem('bluesky_handle', `"${bluesky}" is not a Bluesky handle like name.bsky.social`);
    const handle = (raw.handle ?? raw.x_handle)?.replace(/^@/, '');
    if (handle && !/^\w{1,15}$/.test(handle)) problem('handle', `"${handle}" is not an X handle (letters, digits and _, at most 15)`);
    const tagList = Array.isArray(raw.tags) ? raw.tags : (raw.tags ?? '').split(/[;|]/);
    const tags = tagList.map((tag) => (tag ?? '').trim().toLowerCase()).filter(Boolean);
    if (externalId && name) {
      seenCustomers.add(externalId);
      customers.push({
        externalId,
        name,
        email,
        phone: raw.phone ?? undefined,
        company: raw.company ?? undefined,
        tags,
        handle,
        mastodon,
        bluesky,
      });
    }
  });
  (outer.data.orders ?? []).forEach((item, index) => {
    const row = index + firstRow;
    const problem = (field: string, message: string) => problems.push({ row, field, message });
    const raw = parseRow(orderRow, item, row, problems);
    if (!raw) return;
    const externalId = raw.externalId ?? raw.order_id ?? raw.id;
    const customerExternalId = raw.customerExternalId ?? raw.customer_id ?? undefined;
    const email = raw.email?.toLowerCase();
    const totalText = raw.total ?? raw.totalCents;
    const currency = raw.currency?.toUpperCase();
    const createdAt = raw.createdAt ?? raw.created_at;
    if (!externalId) problem('order_id', 'is required');
    else if (seenOrders.has(externalId)) problem('order_id', `"${externalId}" appears twice in this import`);
    if (!customerExternalId && !email) problem('customer_id', 'a customer_id or an email is required to link the order');
    if (email && !EMAIL.test(email)) problem('email', `"${email}" is not an email address`);
    const totalCents = parseMoney(totalText ?? undefined, raw.totalCents !== undefined && raw.totalCents !== null);
    if (totalCents === undefined) problem('total', `"${totalText ?? ''}" is not an amount like 49.90`);
    if (!currency || !/^[A-Z]{3}$/.test(currency)) problem('currency', `"${currency ?? ''}" is not a currency code like EUR`);
    const date = createdAt ? realDate(createdAt) : undefined;
    if (!date) problem('created_at', `"${createdAt ?? ''}" is not a date like 2026-11-25 or 2026-11-25T09:30:00Z`);
    if (externalId && totalCents !== undefined && currency && date) {
      seenOrders.add(externalId);
      orders.push({
        externalId,
        customerExternalId,
        email,
        totalCents,
        currency,
        status: raw.status ?? 'placed',
        createdAt: date.toISOString(),
      });
    }
  });
  if (problems.length > 0) throw new CustomerDataError(problems);
  return { customers, orders };
}

/**
 * A date as written, or undefined. JavaScript's Date rolls 2026-02-31 over to 3 March: the written
 * year, month and day must come back unchanged.
 */
function realDate(value: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})(?:$|[T ])/.exec(value);
  if (!match) return undefined;
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return undefined;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  return calendar.getUTCFullYear() === year && calendar.getUTCMonth() === month - 1 && calendar.getUTCDate() === day ? date : undefined;
}

/** "49.90", "49,90", "1 234.50" → cents; an integer when `isCents`. */
function parseMoney(value: string | undefined, isCents: boolean): number | undefined {
  if (!value) return undefined;
  const normalized = value.replace(/[\s_]/g, '').replace(/,(\d{1,2})$/, '.$1');
  if (!/^-?\d+(\.\d{1,2})?$/.test(normalized)) return undefined;
  return isCents ? Number(normalized) : Math.round(Number(normalized) * 100);
}
