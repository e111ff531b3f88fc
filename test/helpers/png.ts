import { crc32, inflateSync } from 'node:zlib';

/**
 * Reads back a PNG as a viewer would: signature, chunk CRCs, IHDR, inflated IDAT rows. Enough to
 * check that a chart is a valid image and what colour its pixels are, written apart from the
 * encoder (only filter type 0 is supported, which is what the encoder writes).
 */
export function decodePng(bytes: Buffer): { width: number; height: number; pixel(x: number, y: number): [number, number, number] } {
  const signature = '89504e470d0a1a0a';
  if (bytes.subarray(0, 8).toString('hex') !== signature) throw new Error('not a PNG: bad signature');
  let offset = 8;
  let width = 0;
  let height = 0;
  const idat: Buffer[] = [];
  let ended = false;
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.subarray(offset + 4, offset + 8).toString('ascii');
    const data = bytes.subarray(offset + 8, offset + 8 + length);
    const crc = bytes.readUInt32BE(offset + 8 + length);
    if (crc !== crc32(bytes.subarray(offset + 4, offset + 8 + length))) throw new Error(`bad CRC in ${type}`);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0);
      height = data.readUInt32BE(4);
      if (data[8] !== 8 || data[9] !== 2) throw new Error('expected 8-bit RGB');
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') ended = true;
    offset += 12 + length;
  }
  if (!ended) throw new Error('no IEND chunk');
  const raw = inflateSync(Buffer.concat(idat));
  if (raw.length !== (width * 3 + 1) * height) throw new Error(`image data is ${raw.length} bytes, expected ${(width * 3 + 1) * height}`);
  return {
    width,
    height,
    pixel(x, y) {
      const at = y * (width * 3 + 1) + 1 + x * 3;
      return [raw[at] ?? 0, raw[at + 1] ?? 0, raw[at + 2] ?? 0];
    },
  };
}
