import type { IncomingMessage } from 'node:http';
import { SwitchboardError } from '../errors.ts';

export class BodyTooLargeError extends SwitchboardError {
  constructor(maxBytes: number) {
    super('body_too_large', `the body is over ${maxBytes} bytes`, 'needs_person');
  }
}

/** Reads a request body as text, refusing (and cutting) one over `maxBytes`. */
export async function readBody(req: IncomingMessage, maxBytes = Number.POSITIVE_INFINITY): Promise<string> {
  return (await readBodyBytes(req, maxBytes)).toString('utf8');
}

/**
 * Reads a pushed body up to `maxBytes`; undefined when it is larger, and the caller answers 413.
 * The connection is cut a few seconds later, not at once, so the sender reads the 413 rather than a
 * reset; the rest of the body is drained (not kept) meanwhile.
 */
export async function readBodyWithin(req: IncomingMessage, maxBytes: number): Promise<Buffer | undefined> {
  try {
    return await readBodyBytes(req, maxBytes);
  } catch (error) {
    if (!(error instanceof BodyTooLargeError)) throw error;
    setTimeout(() => req.socket.destroy(), 5_000).unref();
    return undefined;
  }
}

/** Reads a request body as bytes (a file upload is not text). */
export function readBodyBytes(req: IncomingMessage, maxBytes = Number.POSITIVE_INFINITY): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        // Stop buffering, and let the caller answer 413 before the connection is closed.
        chunks.length = 0;
        req.removeAllListeners('data');
        req.resume();
        reject(new BodyTooLargeError(maxBytes));
      } else chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}
