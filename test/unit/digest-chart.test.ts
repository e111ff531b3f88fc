import { describe, expect, it } from 'vitest';
import { LABEL_COLOURS, renderDigestChart } from '../../src/charts/digest-chart.ts';
import type { ChartBucket } from '../../src/domain/digest-stats.ts';
import { decodePng } from '../helpers/png.ts';

const bucket = (label: string, byLabel: Partial<ChartBucket['byLabel']>, baseline = 0): ChartBucket => ({
  label,
  byLabel: { Question: 0, Complaint: 0, Praise: 0, Other: 0, ...byLabel },
  baseline,
});

/** The colours found in one column of the image, bottom to top. */
function columnColours(image: ReturnType<typeof decodePng>, x: number): string[] {
  const seen: string[] = [];
  for (let y = image.height - 1; y >= 0; y--) {
    const colour = image.pixel(x, y).join(',');
    if (seen.at(-1) !== colour) seen.push(colour);
  }
  return seen;
}

describe('the digest chart', () => {
  const buckets = Array.from({ length: 24 }, (_, hour) => bucket(String(hour), {}, 0.5));
  buckets[9] = bucket('9', { Question: 3, Complaint: 1 }, 0.5);
  const image = decodePng(renderDigestChart({ bucket: 'hour', buckets }, 'Mentions per hour · Tue 24 Nov 2026'));

  it('is a valid PNG of the stated size', () => {
    expect(image.width).toBe(800);
    expect(image.height).toBe(420);
  });

  it('stacks the busy hour by label, questions at the bottom, and leaves quiet hours bare', () => {
    // Plot area: x from 64 to 776, 24 slots; slot 9 is centred at 64 + 9.5 * 29.67.
    const busy = columnColours(image, Math.round(64 + 9.5 * ((776 - 64) / 24)));
    const question = LABEL_COLOURS.Question.join(',');
    const complaint = LABEL_COLOURS.Complaint.join(',');
    expect(busy.indexOf(question)).toBeGreaterThan(-1);
    expect(busy.indexOf(complaint)).toBeGreaterThan(busy.indexOf(question));
    const quiet = columnColours(image, Math.round(64 + 4.5 * ((776 - 64) / 24)));
    expect(quiet).not.toContain(question);
    expect(quiet).not.toContain(complaint);
  });

  it('makes a bar three times as tall for three times the count', () => {
    const x = Math.round(64 + 9.5 * ((776 - 64) / 24));
    let questionRows = 0;
    let complaintRows = 0;
    for (let y = 0; y < image.height; y++) {
      const colour = image.pixel(x, y).join(',');
      if (colour === LABEL_COLOURS.Question.join(',')) questionRows++;
      if (colour === LABEL_COLOURS.Complaint.join(',')) complaintRows++;
    }
    expect(questionRows / complaintRows).toBeCloseTo(3, 0);
  });
});
