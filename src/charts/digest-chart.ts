import { createRequire } from 'node:module';
import { Resvg } from '@resvg/resvg-js';
import type { DigestFigures } from '../domain/digest-stats.ts';
import { LABELS, type Label } from '../domain/triage/labels.ts';

/**
 * The digest chart: mentions per hour (or per day for a week) stacked by label, with the reference
 * line the figures carry, drawn as SVG and rasterised by resvg (its binary ships in its npm
 * package) with Noto Sans and Noto Sans JP (shipped as npm packages, read from node_modules, never
 * from the system): accents, Chinese and Japanese appear as written. Pure: figures in, PNG bytes out.
 */

export type Rgb = [number, number, number];

export const LABEL_COLOURS: Record<Label, Rgb> = {
  Question: [46, 107, 230],
  Complaint: [224, 69, 43],
  Praise: [43, 170, 94],
  Other: [154, 160, 166],
};

const WIDTH = 800;
const HEIGHT = 420;
const PLOT = { left: 64, right: WIDTH - 24, top: 72, bottom: HEIGHT - 84 };
const FAMILY = 'Noto Sans, Noto Sans JP, sans-serif';

const require = createRequire(import.meta.url);
const FONT_FILES = [
  require.resolve('@expo-google-fonts/noto-sans/400Regular/NotoSans_400Regular.ttf'),
  require.resolve('@expo-google-fonts/noto-sans/700Bold/NotoSans_700Bold.ttf'),
  require.resolve('@expo-google-fonts/noto-sans-jp/400Regular/NotoSansJP_400Regular.ttf'),
];

export function renderDigestChart(chart: DigestFigures['chart'], title: string): Buffer {
  const svg = digestChartSvg(chart, title);
  const resvg = new Resvg(svg, {
    background: 'white',
    font: { fontFiles: FONT_FILES, loadSystemFonts: false, defaultFontFamily: 'Noto Sans' },
  });
  return resvg.render().asPng();
}

/** The chart as SVG (what is rasterised); exported for tests that read its text. */
export function digestChartSvg(chart: DigestFigures['chart'], title: string): string {
  const parts: string[] = [];
  const titleSize = fittingSize(title, WIDTH - 48, 22, 12);
  parts.push(text(24, 36, title, { size: titleSize, weight: 700 }));

  const totals = chart.buckets.map((bucket) => LABELS.reduce((sum, label) => sum + bucket.byLabel[label], 0));
  const { top, step } = integerScale(Math.max(1, ...totals, ...chart.buckets.map((bucket) => bucket.baseline)));
  const plotHeight = PLOT.bottom - PLOT.top;
  const yOf = (value: number) => PLOT.bottom - (value / top) * plotHeight;

  for (let value = 0; value <= top; value += step) {
    const y = Math.round(yOf(value)) + 0.5;
    parts.push(
      `<line x1="${PLOT.left}" y1="${y}" x2="${PLOT.right}" y2="${y}" stroke="${value === 0 ? '#616061' : '#e8e8e8'}" stroke-width="1"/>`,
    );
    parts.push(text(PLOT.left - 10, y + 5, String(value), { size: 13, anchor: 'end', fill: '#616061' }));
  }

  const slot = (PLOT.right - PLOT.left) / Math.max(1, chart.buckets.length);
  const barWidth = Math.max(2, slot * 0.7);
  const labelEvery = chart.bucket === 'hour' ? 3 : 1;
  chart.buckets.forEach((bucket, i) => {
    const x = PLOT.left + i * slot + (slot - barWidth) / 2;
    let stacked = 0;
    for (const label of LABELS) {
      const count = bucket.byLabel[label];
      if (count === 0) continue;
      const y0 = yOf(stacked + count);
      parts.push(rect(x, y0, barWidth, yOf(stacked) - y0, LABEL_COLOURS[label]));
      stacked += count;
    }
    if (i % labelEvery === 0)
      parts.push(text(PLOT.left + i * slot + slot / 2, PLOT.bottom + 22, bucket.label, { size: 13, anchor: 'middle', fill: '#616061' }));
  });

  // The reference line as a dashed step line across each bucket.
  const steps = chart.buckets
    .map((bucket, i) => `${i === 0 ? 'M' : 'L'}${PLOT.left + i * slot},${yOf(bucket.baseline)} H${PLOT.left + (i + 1) * slot}`)
    .join(' ');
  if (steps) parts.push(`<path d="${steps}" fill="none" stroke="#1d1c1d" stroke-width="2" stroke-dasharray="6 5"/>`);

  let legendX = PLOT.left;
  const legendY = HEIGHT - 34;
  for (const label of LABELS) {
    parts.push(rect(legendX, legendY - 11, 14, 14, LABEL_COLOURS[label]));
    parts.push(text(legendX + 20, legendY + 1, label, { size: 14 }));
    legendX += 20 + estimateWidth(label, 14) + 24;
  }
  parts.push(
    `<line x1="${legendX}" y1="${legendY - 4}" x2="${legendX + 28}" y2="${legendY - 4}" stroke="#1d1c1d" stroke-width="2" stroke-dasharray="6 5"/>`,
  );
  parts.push(text(legendX + 36, legendY + 1, referenceLabel(chart.bucket), { size: 14 }));

  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="${FAMILY}">${parts.join('')}</svg>`;
}

/** What the dashed line is, in words that say which days it averages. */
export function referenceLabel(bucket: DigestFigures['chart']['bucket']): string {
  return bucket === 'hour' ? 'same hour, average of the 7 days before' : 'average day of the 7 days before';
}

/**
 * Whole-number gridlines: the top is the smallest of 1, 2, 5, 10, 20, 50… at or above the highest
 * value, with two to five steps between (never a 0.5 tick for whole counts).
 */
export function integerScale(highest: number): { top: number; step: number } {
  const ceiling = Math.max(1, Math.ceil(highest));
  const power = 10 ** Math.floor(Math.log10(ceiling));
  const top = [1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= ceiling) ?? 10 * power;
  // 10 → 2, 20 → 5, 50 → 10, 100 → 20…: round steps, five or four of them.
  const step = top <= 5 ? 1 : top / (top / power === 2 ? 4 : 5);
  return { top, step };
}

/** Roughly how wide text is drawn: Latin letters about 0.55 em, CJK a full em. */
function estimateWidth(value: string, size: number): number {
  let ems = 0;
  for (const char of value) ems += /[\u1100-\u11ff\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]/.test(char) ? 1 : 0.56;
  return ems * size;
}

/** The largest size from `max` down to `min` at which the text fits; at `min` it is cut with an ellipsis. */
function fittingSize(value: string, width: number, max: number, min: number): number {
  for (let size = max; size > min; size--) if (estimateWidth(value, size) <= width) return size;
  return min;
}

function text(
  x: number,
  y: number,
  value: string,
  style: { size: number; weight?: number; anchor?: 'middle' | 'end'; fill?: string },
): string {
  const fitted = estimateWidth(value, style.size) > WIDTH - 48 ? cut(value, style.size) : value;
  return `<text x="${x}" y="${y}" font-size="${style.size}"${style.weight ? ` font-weight="${style.weight}"` : ''}${style.anchor ? ` text-anchor="${style.anchor}"` : ''} fill="${style.fill ?? '#1d1c1d'}">${escapeXml(fitted)}</text>`;
}

function cut(value: string, size: number): string {
  let out = '';
  for (const char of value) {
    if (estimateWidth(`${out}${char}…`, size) > WIDTH - 48) break;
    out += char;
  }
  return `${out}…`;
}

function rect(x: number, y: number, width: number, height: number, [r, g, b]: Rgb): string {
  // Crisp edges: a bar's pixels are its colour exactly (the tests read them).
  return `<rect x="${x.toFixed(2)}" y="${y.toFixed(2)}" width="${width.toFixed(2)}" height="${Math.max(0, height).toFixed(2)}" fill="rgb(${r},${g},${b})" shape-rendering="crispEdges"/>`;
}

const escapeXml = (value: string) =>
  value.replace(/[&<>"']/g, (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[char] ?? char);
