import { parse as parseCsv } from 'csv-parse/sync';

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

export class CustomerDataError extends Error {
  constructor(readonly problems: DataProblem[]) {
    super(
      `${problems.length} problem(s): ${problems
        .slice(0, 5)
        .map((p) => `row ${p.row}, ${p.field}: ${p.message}`)
        .join('; ')}`,
    );
    this.name = 'CustomerDataError';
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

/** Checks a `{ customers, orders }` payload; `firstRow` is 2 for a CSV (after its header), 1 for JSON. */
export function validateCustomerData(data: unknown, firstRow = 1): CustomerData {
  const problems: DataProblem[] = [];
  const record = (data ?? {}) as { customers?: unknown; orders?: unknown };
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new CustomerDataError([{ row: 0, field: 'body', message: 'expected an object with "customers" and/or "orders" arrays' }]);
  }
  for (const key of ['customers', 'orders'] as const) {
    if (record[key] !== undefined && !Array.isArray(record[key])) problems.push({ row: 0, field: key, message: 'must be an array' });
  }
  const customers: CustomerInput[] = [];
  const orders: OrderInput[] = [];
  const seenCustomers = new Set<string>();
  const seenOrders = new Set<string>();
  (Array.isArray(record.customers) ? record.customers : []).forEach((raw: Record<string, unknown>, index: number) => {
    const row = index + firstRow;
    const problem = (field: string, message: string) => problems.push({ row, field, message });
    const externalId = text(raw?.externalId ?? raw?.external_id);
    const name = text(raw?.name);
    const email = text(raw?.email)?.toLowerCase();
    if (!externalId) problem('external_id', 'is required');
    else if (seenCustomers.has(externalId)) problem('external_id', `"${externalId}" appears twice in this import`);
    if (!name) problem('name', 'is required');
    if (email && !EMAIL.test(email)) problem('email', `"${email}" is not an email address`);
    const mastodon = text(raw?.mastodon ?? raw?.mastodon_handle)?.replace(/^@/, '');
    if (mastodon && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(mastodon))
      problem('mastodon_handle', `"${mastodon}" is not a Mastodon handle like name@mastodon.social`);
    const bluesky = text(raw?.bluesky ?? raw?.bluesky_handle)
      ?.replace(/^@/, '')
      .toLowerCase();
    if (bluesky && !/^([a-z0-9-]+\.)+[a-z]{2,}$/.test(bluesky))
      problem('bluesky_handle', `"${bluesky}" is not a Bluesky handle like name.bsky.social`);
    const tags = Array.isArray(raw?.tags) ? raw.tags.map(String) : typeof raw?.tags === 'string' ? raw.tags.split(/[;|]/) : [];
    if (externalId && name) {
      seenCustomers.add(externalId);
      customers.push({
        externalId,
        name,
        email,
        phone: text(raw?.phone),
        company: text(raw?.company),
        tags: tags.map((tag: string) => tag.trim().toLowerCase()).filter(Boolean),
        handle: text(raw?.handle ?? raw?.x_handle)?.replace(/^@/, ''),
        mastodon,
        bluesky,
      });
    }
  });
  (Array.isArray(record.orders) ? record.orders : []).forEach((raw: Record<string, unknown>, index: number) => {
    const row = index + firstRow;
    const problem = (field: string, message: string) => problems.push({ row, field, message });
    const externalId = text(raw?.externalId ?? raw?.order_id ?? raw?.id);
    const customerExternalId = text(raw?.customerExternalId ?? raw?.customer_id);
    const email = text(raw?.email)?.toLowerCase();
    const totalText = text(raw?.total ?? raw?.totalCents);
    const currency = text(raw?.currency)?.toUpperCase();
    const createdAt = text(raw?.createdAt ?? raw?.created_at);
    if (!externalId) problem('order_id', 'is required');
    else if (seenOrders.has(externalId)) problem('order_id', `"${externalId}" appears twice in this import`);
    if (!customerExternalId && !email) problem('customer_id', 'a customer_id or an email is required to link the order');
    if (email && !EMAIL.test(email)) problem('email', `"${email}" is not an email address`);
    const totalCents = parseMoney(totalText, raw?.totalCents !== undefined);
    if (totalCents === undefined) problem('total', `"${totalText ?? ''}" is not an amount like 49.90`);
    if (!currency || !/^[A-Z]{3}$/.test(currency)) problem('currency', `"${currency ?? ''}" is not a currency code like EUR`);
    const date = createdAt ? new Date(createdAt) : undefined;
    if (!date || Number.isNaN(date.getTime()))
      problem('created_at', `"${createdAt ?? ''}" is not a date like 2026-11-25 or 2026-11-25T09:30:00Z`);
    if (externalId && totalCents !== undefined && currency && date && !Number.isNaN(date.getTime())) {
      seenOrders.add(externalId);
      orders.push({
        externalId,
        customerExternalId,
        email,
        totalCents,
        currency,
        status: text(raw?.status) ?? 'placed',
        createdAt: date.toISOString(),
      });
    }
  });
  if (problems.length > 0) throw new CustomerDataError(problems);
  return { customers, orders };
}

function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  const trimmed = String(value).trim();
  return trimmed ? trimmed : undefined;
}

/** "49.90", "49,90", "1 234.50" → cents; an integer when `isCents`. */
function parseMoney(value: string | undefined, isCents: boolean): number | undefined {
  if (!value) return undefined;
  const normalized = value.replace(/[\s_]/g, '').replace(/,(\d{1,2})$/, '.$1');
  if (!/^-?\d+(\.\d{1,2})?$/.test(normalized)) return undefined;
  return isCents ? Number(normalized) : Math.round(Number(normalized) * 100);
}
