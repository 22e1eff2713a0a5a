/**
 * The chart images that go into an exported bundle (`charts/<panel>.png`): every chart canvas of
 * the main panels, as Chart.js renders it (`toBase64Image`), or the raw canvas for the panels that
 * draw their own.
 */
import { Chart } from 'chart.js';
import { withAllChartsDrawn } from './visible';

/** Panel test ids → chart names in the bundle. */
export const BUNDLE_CHART_PANELS: Record<string, string> = {
  'throughput-panel': 'throughput',
  'fairness-panel': 'fairness',
  'latency-panel': 'latency',
  'breakdown-panel': 'breakdown',
  'seek-panel': 'seek',
  'latency-dist-panel': 'latency-distribution',
  'activity-panel': 'activity',
};

/**
 * PNGs (base64, no data: prefix) of every chart of the shown run, by bundle chart name: each drawn
 * from the run's data first, whether its panel was ever on screen or not.
 */
export function renderChartImages(root: ParentNode = document): Promise<Record<string, string>> {
  return withAllChartsDrawn(() => collectChartImages(root));
}

/** PNGs (base64, no data: prefix) of the charts as currently drawn on the page. */
export function collectChartImages(root: ParentNode = document): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [testId, name] of Object.entries(BUNDLE_CHART_PANELS)) {
    const panel = root.querySelector(`[data-testid="${testId}"]`);
    if (!panel) continue;
    const canvases = [...panel.querySelectorAll('canvas')].filter((c) => c.width > 0 && c.height > 0);
    canvases.forEach((c, i) => {
      const url = Chart.getChart(c)?.toBase64Image('image/png') ?? c.toDataURL('image/png');
      const comma = url.indexOf(',');
      if (url.startsWith('data:image/png') && comma > 0)
        out[i === 0 ? name : `${name}-${i + 1}`] = url.slice(comma + 1);
    });
  }
  return out;
}
