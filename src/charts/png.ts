import { crc32, deflateSync } from 'node:zlib';

/**
 * A tiny RGB raster and PNG encoder: enough for the digest's bar chart, with no native image
 * library to install and no network. PNG is signature + IHDR + IDAT (zlib of filtered rows) + IEND,
 * each chunk with a CRC-32 (PNG specification, sections 5 and 11).
 */

export type Rgb = readonly [number, number, number];

export class Raster {
  readonly pixels: Uint8Array;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb,
  ) {
    this.pixels = new Uint8Array(width * height * 3);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, colour: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const at = (Math.floor(y) * this.width + Math.floor(x)) * 3;
    this.pixels[at] = colour[0];
    this.pixels[at + 1] = colour[1];
    this.pixels[at + 2] = colour[2];
  }

  fillRect(x: number, y: number, width: number, height: number, colour: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + width));
    const y1 = Math.min(this.height, Math.round(y + height));
    for (let row = y0; row < y1; row++) for (let column = x0; column < x1; column++) this.setPixel(column, row, colour);
  }

  /** A straight line, `thickness` pixels wide; `dash` draws every other run of that many pixels. */
  line(x0: number, y0: number, x1: number, y1: number, colour: Rgb, thickness = 1, dash = 0): void {
    const steps = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let i = 0; i <= steps; i++) {
      if (dash && Math.floor(i / dash) % 2 === 1) continue;
      const x = x0 + ((x1 - x0) * i) / steps;
      const y = y0 + ((y1 - y0) * i) / steps;
      this.fillRect(x - thickness / 2, y - thickness / 2, thickness, thickness, colour);
    }
  }

  toPng(): Buffer {
    const rowBytes = this.width * 3;
    const filtered = Buffer.alloc((rowBytes + 1) * this.height);
    for (let row = 0; row < this.height; row++) {
      filtered[row * (rowBytes + 1)] = 0; // filter type None
      filtered.set(this.pixels.subarray(row * rowBytes, (row + 1) * rowBytes), row * (rowBytes + 1) + 1);
    }
    const header = Buffer.alloc(13);
    header.writeUInt32BE(this.width, 0);
    header.writeUInt32BE(this.height, 4);
    header.set([8, 2, 0, 0, 0], 8); // 8-bit depth, truecolour RGB, deflate, adaptive filtering, no interlace
    return Buffer.concat([
      PNG_SIGNATURE,
      chunk('IHDR', header),
      chunk('IDAT', deflateSync(filtered, { level: 9 })),
      chunk('IEND', Buffer.alloc(0)),
    ]);
  }
}

export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const typeAndData = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(typeAndData));
  return Buffer.concat([length, typeAndData, crc]);
}
