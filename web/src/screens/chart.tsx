/**
 * A time-series line chart drawn by uPlot (loaded on first use, so the first screen does
 * not carry it). The canvas is decoration for sighted readers; the same numbers are in
 * the table beside it.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';

export interface Series {
  label: string;
  color: string;
  values: Array<number | null>;
}

let loading: Promise<typeof uPlot> | undefined;
const loadUPlot = () =>
  (loading ??= Promise.all([import('uplot'), import('uplot/dist/uPlot.min.css')]).then(([m]) => m.default));

export function LineChart({ times, series, unit, title, max }: { times: number[]; series: Series[]; unit: string; title: string; max?: number }) {
  const box = useRef<HTMLDivElement>(null);
  const [failed, setFailed] = useState<string>();
  useEffect(() => {
    let plot: uPlot | undefined;
    let observer: ResizeObserver | undefined;
    let stop = false;
    loadUPlot().then(
      (UPlot) => {
        if (stop || !box.current) return;
        const width = () => Math.max(280, box.current!.clientWidth);
        plot = new UPlot(
          {
            width: width(),
            height: 220,
            scales: { x: { time: true }, y: max === undefined ? {} : { range: [0, max] } },
            axes: [{}, { label: unit, size: 56 }],
            series: [{}, ...series.map((s) => ({ label: s.label, stroke: s.color, width: 2, spanGaps: false, points: { show: true, size: 4 } }))],
            legend: { show: true },
          },
          [times.map((t) => t / 1000), ...series.map((s) => s.values)] as uPlot.AlignedData,
          box.current,
        );
        observer = new ResizeObserver(() => plot?.setSize({ width: width(), height: 220 }));
        observer.observe(box.current);
      },
      (e: Error) => setFailed(e.message),
    );
    return () => {
      stop = true;
      observer?.disconnect();
      plot?.destroy();
    };
  }, [JSON.stringify({ times, series, max })]);
  return (
    <figure class="chart">
      <figcaption>{title}</figcaption>
      {failed ? <p class="muted">The chart could not load ({failed}); the table has the numbers.</p> : <div ref={box} class="chart-box" aria-hidden="true" />}
    </figure>
  );
}
