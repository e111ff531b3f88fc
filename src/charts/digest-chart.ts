import type { DigestFigures } from '../domain/digest-stats.ts';
import { LABELS, type Label } from '../domain/triage/labels.ts';
import { drawText, GLYPH_HEIGHT, textWidth } from './bitmap-font.ts';
import { Raster, type Rgb } from './png.ts';

/**
 * The digest chart as a PNG: mentions per hour (or per day for a week) stacked by label, with the
 * same bucket's average over the seven days before as a dashed line. Pure: figures in, bytes out.
 */

export const LABEL_COLOURS: Record<Label, Rgb> = {
  Question: [46, 107, 230],
  Complaint: [224, 69, 43],
  Praise: [43, 170, 94],
  Other: [154, 160, 166],
};

const WIDTH = 800;
const HEIGHT = 420;
const INK: Rgb = [29, 28, 29];
const MUTED: Rgb = [97, 96, 97];
const GRID: Rgb = [232, 232, 232];
const WHITE: Rgb = [255, 255, 255];
const PLOT = { left: 64, right: WIDTH - 24, top: 64, bottom: HEIGHT - 92 };

export function renderDigestChart(chart: DigestFigures['chart'], title: string): Buffer {
  const raster = new Raster(WIDTH, HEIGHT, WHITE);
  drawText(raster, title, 24, 20, INK, 2);

  const totals = chart.buckets.map((bucket) => LABELS.reduce((sum, label) => sum + bucket.byLabel[label], 0));
  const top = niceCeiling(Math.max(1, ...totals, ...chart.buckets.map((bucket) => bucket.baseline)));
  const plotHeight = PLOT.bottom - PLOT.top;
  const yOf = (value: number) => PLOT.bottom - (value / top) * plotHeight;

  for (const value of [0, top / 2, top]) {
    raster.fillRect(PLOT.left, Math.round(yOf(value)), PLOT.right - PLOT.left, 1, value === 0 ? MUTED : GRID);
    const text = formatTick(value);
    drawText(raster, text, PLOT.left - 10 - textWidth(text, 2), yOf(value) - GLYPH_HEIGHT, MUTED, 2);
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
      raster.fillRect(x, y0, barWidth, yOf(stacked) - y0, LABEL_COLOURS[label]);
      stacked += count;
    }
    if (i % labelEvery === 0) {
      drawText(raster, bucket.label, PLOT.left + i * slot + slot / 2 - textWidth(bucket.label, 2) / 2, PLOT.bottom + 10, MUTED, 2);
    }
  });

  // The baseline as a dashed step line across each bucket.
  chart.buckets.forEach((bucket, i) => {
    const y = yOf(bucket.baseline);
    raster.line(PLOT.left + i * slot, y, PLOT.left + (i + 1) * slot, y, INK, 2, 6);
    const next = chart.buckets[i + 1];
    if (next) raster.line(PLOT.left + (i + 1) * slot, y, PLOT.left + (i + 1) * slot, yOf(next.baseline), INK, 2, 6);
  });

  let legendX = PLOT.left;
  const legendY = HEIGHT - 40;
  for (const label of LABELS) {
    raster.fillRect(legendX, legendY, 14, 14, LABEL_COLOURS[label]);
    drawText(raster, label, legendX + 20, legendY, INK, 2);
    legendX += 20 + textWidth(label, 2) + 28;
  }
  raster.line(legendX, legendY + 7, legendX + 28, legendY + 7, INK, 2, 6);
  drawText(raster, '7-day average', legendX + 36, legendY, INK, 2);
  return raster.toPng();
}

/** 1, 2, 5, 10, 20, 50…: the smallest at or above `value`, so gridlines fall on round numbers. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

const formatTick = (value: number): string => (Number.isInteger(value) ? String(value) : value.toFixed(1));
