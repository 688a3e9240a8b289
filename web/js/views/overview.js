// The overview: open work by priority, MTTA / MTTR, SLA compliance, and the trends behind them.

import { getSummary } from '../api.js';
import { el } from '../dom.js';
import { formatDateTime, formatDay, formatDuration, formatPercent, humanize, PRIORITIES } from '../format.js';
import { buildHash } from '../router.js';
import { horizontalBars, lineChart, stackedBars } from '../charts.js';
import { errorPanel, heading } from './common.js';

const PERIODS = [7, 14, 30, 90];
const DEFAULT_DAYS = 14;
const TOP_CATEGORIES = 9; // ten colours: the rest of the categories share "other"
const REFRESH_DELAY_MS = 3000; // a burst of live events costs one summary query, not one each

function card(label, value, detail, key) {
  return el('div', { class: 'kpi', dataset: { kpi: key } }, el('p', { class: 'kpi-label', text: label }),
    el('p', { class: 'kpi-value', text: value }), detail ? el('p', { class: 'kpi-detail', text: detail }) : null);
}

function kpis(summary) {
  const open = summary.open_by_priority || {};
  const openTotal = PRIORITIES.reduce((sum, p) => sum + (open[p] || 0), 0);
  const sla = summary.sla || {};
  const breaches = Array.isArray(summary.breaches) ? summary.breaches.length : summary.breaches ?? sla.breached ?? 0;
  const mtta = summary.mtta || {};
  const mttr = summary.mttr || {};
  const llm = summary.llm || {};
  return el('div', { class: 'kpis' },
    card('Open tickets', String(openTotal), PRIORITIES.map((p) => `${p} ${open[p] || 0}`).join(' · '), 'open'),
    card('MTTA', formatDuration(mtta.mean_seconds), `median ${formatDuration(mtta.p50_seconds)}`, 'mtta'),
    card('MTTR', formatDuration(mttr.mean_seconds), `median ${formatDuration(mttr.p50_seconds)}`, 'mttr'),
    card('SLA compliance', formatPercent(sla.compliance), `${sla.met ?? 0} met · ${sla.breached ?? 0} breached · ${sla.pending ?? 0} pending`, 'sla'),
    card('SLA breaches', String(breaches), 'response deadlines missed', 'breaches'),
    card('LLM usage', `${llm.calls ?? 0} calls`, `${llm.tokens ?? 0} tokens`, 'llm'));
}

/** Every UTC day of the window, oldest first, so quiet days show as gaps instead of vanishing. */
export function windowDays(days, now = Date.now()) {
  const today = Date.UTC(new Date(now).getUTCFullYear(), new Date(now).getUTCMonth(), new Date(now).getUTCDate());
  return Array.from({ length: days }, (_, i) => new Date(today - (days - 1 - i) * 86400000).toISOString().slice(0, 10));
}

function byDate(rows) {
  return new Map((rows || []).map((row) => [row.date, row]));
}

function perDayChart(summary, windowDates) {
  const known = byDate(summary.per_day);
  const days = windowDates.map((date) => known.get(date) || { date, by_category: {} });
  const totals = new Map();
  for (const day of days) for (const [cat, n] of Object.entries(day.by_category || {})) totals.set(cat, (totals.get(cat) || 0) + n);
  const ranked = [...totals.entries()].sort((a, b) => b[1] - a[1]).map(([cat]) => cat);
  const shown = ranked.slice(0, TOP_CATEGORIES);
  const series = ranked.length > TOP_CATEGORIES ? [...shown, 'other'] : shown;
  const columns = days.map((day) => {
    const values = {};
    for (const [cat, n] of Object.entries(day.by_category || {})) {
      const key = shown.includes(cat) ? cat : 'other';
      values[key] = (values[key] || 0) + n;
    }
    return { label: formatDay(day.date), values };
  });
  return stackedBars({ title: 'Tickets per day by category', columns, series, seriesLabel: humanize });
}

function charts(summary, days) {
  const windowDates = windowDays(days);
  const trendByDate = byDate(summary.mttr_trend);
  const trend = windowDates.map((date) => ({ label: formatDay(date), value: trendByDate.get(date)?.mean_seconds ?? null }));
  const recurring = (summary.top_recurring || []).map((r) => ({
    label: [r.error_type || r.fingerprint, r.category ? humanize(r.category) : null].filter(Boolean).join(' · '),
    value: r.count ?? r.tickets ?? r.occurrences ?? 0,
    note: [r.occurrences !== undefined ? `${r.occurrences} occurrences` : null,
      r.last_seen_at ? `last seen ${formatDateTime(r.last_seen_at)}` : null].filter(Boolean).join(', ') }));
  const teams = (summary.by_team || []).map((t) => ({ label: t.team || 'unassigned', value: t.tickets,
    note: `MTTR ${formatDuration(t.mttr_seconds)} · ${t.llm_tokens ?? 0} LLM tokens` }));
  return el('div', { class: 'charts' },
    perDayChart(summary, windowDates),
    lineChart({ title: 'MTTR trend (daily mean)', points: trend, format: formatDuration }),
    horizontalBars({ title: 'Top recurring failures', rows: recurring, valueName: 'Tickets' }),
    horizontalBars({ title: 'Tickets by team', rows: teams, valueName: 'Tickets' }));
}

export function createOverviewView() {
  let days = DEFAULT_DAYS;
  let loads = 0;
  let refreshTimer = null;
  let loadStartedAt = -Infinity;
  const period = el('select', { id: 'overview-days' }, PERIODS.map((d) => el('option', { value: String(d), text: `Last ${d} days` })));
  const content = el('div', { class: 'overview', 'aria-live': 'off' });
  const problem = el('div');
  period.addEventListener('change', () => { location.hash = buildHash('/overview', { days: period.value }); });

  async function load() {
    const mine = ++loads;
    loadStartedAt = performance.now();
    content.setAttribute('aria-busy', 'true');
    try {
      const summary = await getSummary(days);
      if (mine !== loads) return;
      problem.replaceChildren();
      content.replaceChildren(kpis(summary), charts(summary, days));
    } catch (error) {
      if (mine === loads) problem.replaceChildren(errorPanel(error, { action: 'load the overview' }));
    } finally {
      if (mine === loads) content.removeAttribute('aria-busy');
    }
  }

  function readDays(params) {
    days = PERIODS.includes(Number(params.days)) ? Number(params.days) : DEFAULT_DAYS;
    period.value = String(days);
  }

  return {
    mount(container, route) {
      readDays(route.params);
      container.append(heading('Overview'),
        el('div', { class: 'toolbar' }, el('label', { for: 'overview-days', text: 'Period' }), period), problem, content);
      load();
    },
    update(route) {
      readDays(route.params);
      load();
      return true;
    },
    unmount() {
      clearTimeout(refreshTimer);
      loads += 1;
    },
    onTicket() {
      if (refreshTimer === null) refreshTimer = setTimeout(() => { refreshTimer = null; load(); }, REFRESH_DELAY_MS);
    },
    onResync(liveSince) {
      if (loadStartedAt < liveSince) load();
    },
  };
}
