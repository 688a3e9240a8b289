// Small SVG charts (stacked bars, line, horizontal bars, timeline), each with a data table for screen readers.

import { el, svg } from './dom.js';

const WIDTH = 640;
const SERIES_COLOURS = 10; // .series-0 … .series-9 in CSS, tuned for light and dark
let chartCount = 0;

// Even multiples keep the middle gridline on a round number (0, 2, 4 rather than 0, 2.5, 5).
function niceMax(value) {
  if (!(value > 0)) return 2;
  const step = 10 ** Math.floor(Math.log10(value));
  return Math.max(2, [1, 2, 4, 6, 8, 10].map((m) => m * step).find((v) => v >= value));
}

function shorten(text, max) {
  const value = String(text ?? '');
  return value.length > max ? `${value.slice(0, max - 1)}…` : value;
}

function figure(title, graphic, table, legend) {
  const id = `chart-${++chartCount}`;
  graphic.setAttribute('role', 'img');
  graphic.setAttribute('aria-labelledby', id);
  return el('figure', { class: 'chart' }, el('figcaption', { id, text: title }), legend, graphic,
    el('details', { class: 'chart-data' }, el('summary', { text: `Data: ${title}` }), table));
}

function dataTable(headers, rows) {
  return el('table', {}, el('thead', {}, el('tr', {}, headers.map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', {}, rows.map((cells) => el('tr', {}, cells.map((c, i) => el(i ? 'td' : 'th', i ? {} : { scope: 'row' }, String(c)))))));
}

function emptyNote(title) {
  return el('figure', { class: 'chart chart--empty' }, el('figcaption', { text: title }), el('p', { class: 'muted', text: 'No data for this period.' }));
}

function yAxis(plot, max, format) {
  return [0, 0.5, 1].map((share) => {
    const y = plot.top + plot.height * (1 - share);
    return svg('g', { class: 'axis' }, svg('line', { x1: plot.left, x2: plot.left + plot.width, y1: y, y2: y }),
      svg('text', { x: plot.left - 6, y: y + 4, 'text-anchor': 'end', text: format(max * share) }));
  });
}

function xLabels(plot, labels, slot) {
  const every = Math.max(1, Math.ceil(labels.length / 8));
  return labels.map((label, i) => (i % every ? null : svg('text', { class: 'axis-label', x: plot.left + slot * (i + 0.5),
    y: plot.top + plot.height + 18, 'text-anchor': 'middle', text: label })));
}

/** columns: [{label, values: {series: n}}]; series: names in stacking order (colour = position). */
export function stackedBars({ title, columns, series, seriesLabel = String }) {
  if (!columns.length) return emptyNote(title);
  const plot = { left: 40, top: 10, width: WIDTH - 50, height: 170 };
  const totals = columns.map((c) => series.reduce((sum, s) => sum + (c.values[s] || 0), 0));
  const max = niceMax(Math.max(...totals));
  const slot = plot.width / columns.length;
  const bars = columns.map((column, i) => {
    let base = 0;
    return series.map((name, s) => {
      const value = column.values[name] || 0;
      if (!value) return null;
      const height = (value / max) * plot.height;
      base += height;
      const width = Math.max(1, Math.min(slot * 0.7, 48));
      return svg('rect', { class: `series-${s % SERIES_COLOURS}`, x: plot.left + slot * (i + 0.5) - width / 2,
        y: plot.top + plot.height - base, width, height },
      svg('title', { text: `${column.label} · ${seriesLabel(name)}: ${value}` }));
    });
  });
  const graphic = svg('svg', { viewBox: `0 0 ${WIDTH} 210`, class: 'chart-svg' },
    yAxis(plot, max, (v) => String(Math.round(v))), bars, xLabels(plot, columns.map((c) => c.label), slot));
  const legend = el('ul', { class: 'legend' }, series.map((name, s) => el('li', {},
    el('span', { class: `swatch series-${s % SERIES_COLOURS}`, 'aria-hidden': 'true' }), seriesLabel(name))));
  const table = dataTable(['Day', ...series.map(seriesLabel), 'Total'],
    columns.map((c, i) => [c.label, ...series.map((s) => c.values[s] || 0), totals[i]]));
  return figure(title, graphic, table, legend);
}

/** points: [{label, value|null}]; a null leaves a gap in the line. */
export function lineChart({ title, points, format = String }) {
  const known = points.filter((p) => p.value !== null && p.value !== undefined);
  if (!known.length) return emptyNote(title);
  const plot = { left: 56, top: 10, width: WIDTH - 66, height: 170 };
  const max = niceMax(Math.max(...known.map((p) => p.value)));
  const slot = plot.width / points.length;
  const xy = (p, i) => [plot.left + slot * (i + 0.5), plot.top + plot.height * (1 - p.value / max)];
  let d = '';
  let drawing = false;
  points.forEach((p, i) => {
    if (p.value === null || p.value === undefined) { drawing = false; return; }
    const [x, y] = xy(p, i);
    d += `${drawing ? 'L' : 'M'}${x.toFixed(1)},${y.toFixed(1)}`;
    drawing = true;
  });
  const dots = points.map((p, i) => (p.value === null || p.value === undefined ? null
    : svg('circle', { class: 'series-0', cx: xy(p, i)[0], cy: xy(p, i)[1], r: 3.5 }, svg('title', { text: `${p.label}: ${format(p.value)}` }))));
  const graphic = svg('svg', { viewBox: `0 0 ${WIDTH} 210`, class: 'chart-svg' }, yAxis(plot, max, format),
    svg('path', { class: 'line series-0', d }), dots, xLabels(plot, points.map((p) => p.label), slot));
  return figure(title, graphic, dataTable(['Day', 'Value'], points.map((p) => [p.label, p.value === null || p.value === undefined ? '—' : format(p.value)])));
}

/** rows: [{label, value, note?}] drawn largest first as labelled horizontal bars. */
export function horizontalBars({ title, rows, format = String, valueName = 'Value' }) {
  if (!rows.length) return emptyNote(title);
  const rowHeight = 26;
  const plot = { left: 250, width: WIDTH - 320 }; // room for a 30-character label at the chart font
  const max = Math.max(...rows.map((r) => r.value), 1);
  const graphic = svg('svg', { viewBox: `0 0 ${WIDTH} ${rows.length * rowHeight + 6}`, class: 'chart-svg' },
    rows.map((row, i) => {
      const y = i * rowHeight + 4;
      const width = Math.max(1, (row.value / max) * plot.width);
      return svg('g', {},
        svg('text', { class: 'bar-label', x: plot.left - 8, y: y + 15, 'text-anchor': 'end', text: shorten(row.label, 30) }),
        svg('rect', { class: 'series-0', x: plot.left, y, width, height: rowHeight - 8 },
          svg('title', { text: `${row.label}: ${format(row.value)}${row.note ? ` (${row.note})` : ''}` })),
        svg('text', { class: 'bar-value', x: plot.left + width + 6, y: y + 15, text: format(row.value) }));
    }));
  const table = dataTable(['Name', valueName, 'Details'], rows.map((r) => [r.label, format(r.value), r.note || '']));
  return figure(title, graphic, table);
}

/** times: epoch ms of each occurrence, drawn as ticks along one time axis. */
export function timeline({ title, times, formatTime }) {
  if (!times.length) return emptyNote(title);
  const plot = { left: 20, width: WIDTH - 40 };
  const start = Math.min(...times);
  const span = Math.max(Math.max(...times) - start, 1);
  const x = (t) => plot.left + ((t - start) / span) * plot.width;
  const graphic = svg('svg', { viewBox: `0 0 ${WIDTH} 70`, class: 'chart-svg chart-svg--timeline' },
    svg('line', { class: 'axis-line', x1: plot.left, x2: plot.left + plot.width, y1: 30, y2: 30 }),
    times.map((t) => svg('circle', { class: 'series-1', cx: x(t), cy: 30, r: 5 }, svg('title', { text: formatTime(t) }))),
    svg('text', { class: 'axis-label', x: plot.left, y: 60, text: formatTime(start) }),
    times.length > 1 ? svg('text', { class: 'axis-label', x: plot.left + plot.width, y: 60, 'text-anchor': 'end', text: formatTime(start + span) }) : null);
  return figure(title, graphic, dataTable(['#', 'Seen at'], times.map((t, i) => [i + 1, formatTime(t)])));
}
