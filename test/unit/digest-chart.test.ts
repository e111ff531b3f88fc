import { describe, expect, it } from 'vitest';
import { digestChartSvg, integerScale, LABEL_COLOURS, referenceLabel, renderDigestChart } from '../../src/charts/digest-chart.ts';
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

  it('writes accents, Chinese and Japanese with a real font (the title area has ink for each), and escapes what it is given', () => {
    const inkIn = (title: string) => {
      const picture = decodePng(renderDigestChart({ bucket: 'hour', buckets }, title));
      let dark = 0;
      for (let y = 10; y < 48; y++) for (let x = 20; x < 400; x++) if (picture.pixel(x, y)[0] < 128) dark++;
      return dark;
    };
    const none = inkIn('');
    expect(inkIn('Zoë Müller')).toBeGreaterThan(none + 50);
    expect(inkIn('日本語のテスト')).toBeGreaterThan(none + 100);
    expect(inkIn('中文测试')).toBeGreaterThan(none + 100);
    const svg = digestChartSvg({ bucket: 'hour', buckets }, 'Q&A <b>');
    expect(svg).toContain('Q&amp;A &lt;b&gt;');
  });

  it('uses whole-number ticks for whole counts, says what the reference line averages, and fits a long title', () => {
    expect(integerScale(1)).toEqual({ top: 1, step: 1 });
    expect(integerScale(3)).toEqual({ top: 5, step: 1 });
    expect(integerScale(0.5)).toEqual({ top: 1, step: 1 });
    expect(integerScale(17)).toEqual({ top: 20, step: 5 });
    expect(integerScale(340)).toEqual({ top: 500, step: 100 });
    const ticks = [
      ...digestChartSvg({ bucket: 'hour', buckets: [bucket('0', { Question: 1 })] }, 't').matchAll(/text-anchor="end"[^>]*>([^<]+)</g),
    ].map((m) => m[1]);
    expect(ticks).toEqual(['0', '1']);
    expect(referenceLabel('hour')).toBe('same hour, average of the 7 days before');
    expect(digestChartSvg({ bucket: 'day', buckets }, 't')).toContain('average day of the 7 days before');
    const long = `Mentions per day · ${'Mon 23 Nov 2026 – Sun 29 Nov 2026 · '.repeat(3)}`;
    const size = Number(/font-size="(\d+)" font-weight="700"/.exec(digestChartSvg({ bucket: 'day', buckets }, long))?.[1]);
    expect(size).toBeLessThan(22);
    expect(size).toBeGreaterThanOrEqual(12);
  });
});
