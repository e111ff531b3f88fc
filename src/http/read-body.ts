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
