/** chart.js registration, the lab's palette and shared chart options (light/dark aware). */
import {
  BarElement,
  CategoryScale,
  Chart,
  type ChartOptions,
  Filler,
  Legend,
  LinearScale,
  LineElement,
  LogarithmicScale,
  PointElement,
  Tooltip,
} from 'chart.js';

Chart.register(
  LineElement,
  PointElement,
  BarElement,
  LinearScale,
  LogarithmicScale,
  CategoryScale,
  Legend,
  Tooltip,
  Filler,
);

export const dark =
  typeof window !== 'undefined' && typeof window.matchMedia === 'function'
    ? window.matchMedia('(prefers-color-scheme: dark)').matches
    : false;

export const theme = {
  text: dark ? '#c9d1d9' : '#1f2328',
  muted: dark ? '#8b949e' : '#59636e',
  grid: dark ? 'rgba(240,246,252,0.08)' : 'rgba(31,35,40,0.08)',
  total: dark ? '#e6edf3' : '#24292f',
};

const VM_COLORS_LIGHT = [
  '#0969da',
  '#cf222e',
  '#1a7f37',
  '#8250df',
  '#bc4c00',
  '#0a7b83',
  '#bf3989',
  '#6e7781',
];
const VM_COLORS_DARK = [
  '#58a6ff',
  '#ff7b72',
  '#3fb950',
  '#d2a8ff',
  '#ffa657',
  '#39c5cf',
  '#ff9bce',
  '#8b949e',
];

export function vmColor(i: number, alpha = 1): string {
  const list = dark ? VM_COLORS_DARK : VM_COLORS_LIGHT;
  const hex = i < 0 ? theme.muted : list[i % list.length];
  if (alpha >= 1) return hex;
  const n = Number.parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255},${(n >> 8) & 255},${n & 255},${alpha})`;
}

/**
 * Runs (compare view series, overlays of another run or backend): a sequential palette (viridis
 * stops) that no VM colour shares, so a run's line is never mistaken for a VM's.
 */
const RUN_COLORS = ['#440154', '#3b528b', '#21918c', '#5ec962', '#b5a200', '#7e3c8f', '#2c728e', '#8a6d00'];
const RUN_COLORS_DARK = [
  '#c59cff',
  '#7ea6ff',
  '#3ed1c7',
  '#8ee36a',
  '#fde725',
  '#e58ee6',
  '#56b7d8',
  '#e5c24c',
];

export function runColor(i: number): string {
  const list = dark ? RUN_COLORS_DARK : RUN_COLORS;
  return list[((i % list.length) + list.length) % list.length];
}

/** Latency percentiles: one colour each (light to dark as the tail grows), in legend order. */
export const PERCENTILE_COLORS: Record<string, string> = dark
  ? { p50: '#79c0ff', p95: '#ffa657', p99: '#ff7b72', 'p99.9': '#d2a8ff' }
  : { p50: '#0969da', p95: '#bc4c00', p99: '#cf222e', 'p99.9': '#8250df' };

export const LAYER_COLORS: Record<string, string> = dark
  ? { guest: '#58a6ff', qemu: '#d2a8ff', host_queue: '#ffa657', device: '#3fb950' }
  : { guest: '#0969da', qemu: '#8250df', host_queue: '#bc4c00', device: '#1a7f37' };

Chart.defaults.color = theme.text;
Chart.defaults.borderColor = theme.grid;
Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';
Chart.defaults.font.size = 11;

interface Axes {
  x?: string;
  y?: string;
  yMin?: number;
  yMax?: number;
  stacked?: boolean;
}

export function lineOptions(a: Axes): ChartOptions<'line'> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    parsing: false,
    normalized: true,
    interaction: { mode: 'nearest', axis: 'x', intersect: false },
    elements: { point: { radius: 0 }, line: { borderWidth: 1.6, tension: 0 } },
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12, boxHeight: 2 } } },
    scales: {
      x: { type: 'linear', title: { display: !!a.x, text: a.x ?? '' }, grid: { color: theme.grid } },
      y: {
        type: 'linear',
        min: a.yMin,
        max: a.yMax,
        beginAtZero: true,
        title: { display: !!a.y, text: a.y ?? '' },
        grid: { color: theme.grid },
      },
    },
  };
}

export function barOptions(a: Axes): ChartOptions<'bar'> {
  return {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
    scales: {
      x: { stacked: a.stacked, title: { display: !!a.x, text: a.x ?? '' }, grid: { display: false } },
      y: {
        stacked: a.stacked,
        beginAtZero: true,
        min: a.yMin,
        max: a.yMax,
        title: { display: !!a.y, text: a.y ?? '' },
        grid: { color: theme.grid },
      },
    },
  };
}

export function paramsLabel(params: Record<string, string | number | boolean>): string {
  const e = Object.entries(params);
  if (e.length === 0) return 'run';
  return e.map(([k, v]) => `${k.split('.').pop()}=${v}`).join(', ');
}

/** Is a run's `source` label a measured backend's (real disk, kernel): drawn dashed beside the simulation. */
export function isMeasuredSource(source: unknown): boolean {
  return source === 'real' || source === 'kernel';
}
