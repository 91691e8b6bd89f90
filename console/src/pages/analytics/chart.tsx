import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartConfiguration,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

// Only the parts these charts use, registered explicitly so the rest of Chart.js is left out of the bundle.
Chart.register(
  BarController,
  BarElement,
  LineController,
  LineElement,
  PointElement,
  CategoryScale,
  LinearScale,
  Tooltip,
  Legend,
);

/** A CSS custom property of the page (the channel colours live in base.css). */
export const cssColor = (name: string, fallback: string) =>
  getComputedStyle(document.documentElement).getPropertyValue(name).trim() || fallback;

/**
 * One Chart.js chart on a canvas, rebuilt when its configuration changes. The canvas is an image with a
 * summary label; the numbers themselves are in the table beside it.
 */
export function ChartCanvas(props: { config: ChartConfiguration; label: string; tall?: boolean }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, props.config);
    return () => chart.destroy();
  }, [props.config]);
  return (
    <div class={`chart-box${props.tall ? ' chart-box-tall' : ''}`}>
      <canvas ref={canvas} role="img" aria-label={props.label} />
    </div>
  );
}

/** Options every chart shares: no animation (drawn at once), responsive to its box, legend at the bottom. */
export function baseOptions(yTitle: string) {
  return {
    animation: false as const,
    responsive: true,
    maintainAspectRatio: false,
    interaction: { mode: 'index' as const, intersect: false },
    plugins: { legend: { position: 'bottom' as const, labels: { boxWidth: 12 } } },
    scales: {
      x: { ticks: { autoSkip: true, maxRotation: 0 } },
      y: { beginAtZero: true, ticks: { precision: 0 }, title: { display: true, text: yTitle } },
    },
  };
}
