// The queue's filter bar: search, status, priority, source, category and team, mirrored in the URL hash.

import { el } from '../dom.js';
import { CATEGORIES, PRIORITIES, SOURCES, STATUSES, humanize, sourceLabel } from '../format.js';

export const FILTER_KEYS = ['q', 'status', 'priority', 'source', 'category', 'team'];
const TYPING_DELAY_MS = 300;

const SELECTS = {
  status: { label: 'Status', options: [['open,acknowledged', 'Open or acknowledged'],
    ...STATUSES.map((s) => [s, humanize(s)])] },
  priority: { label: 'Priority', options: [['P1,P2', 'P1 or P2'], ...PRIORITIES.map((p) => [p, p])] },
  source: { label: 'Source', options: SOURCES.map((s) => [s, sourceLabel(s)]) },
  category: { label: 'Category', options: CATEGORIES.map((c) => [c, humanize(c)]) },
};

export function filtersFrom(params) {
  const filters = {};
  for (const key of FILTER_KEYS) filters[key] = (params[key] || '').trim();
  return filters;
}

function field(id, labelText, control) {
  return el('div', { class: 'field' }, el('label', { for: id, text: labelText }), control);
}

function selectFor(key) {
  const spec = SELECTS[key];
  const select = el('select', { id: `filter-${key}`, name: key },
    el('option', { value: '', text: 'Any' }),
    spec.options.map(([value, text]) => el('option', { value, text })));
  return select;
}

/** A select shows whatever the URL says, even a combination it has no ready-made option for. */
function selectValue(select, value) {
  if (value && ![...select.options].some((option) => option.value === value)) {
    select.append(el('option', { value, text: value.split(',').map((v) => humanize(v)).join(' or ') }));
  }
  select.value = value;
}

/**
 * onChange(filters, { typing }) fires with every filter; `typing` is true for text fields, so the caller can
 * replace the history entry instead of adding one per keystroke.
 */
export function createFilterBar({ onChange }) {
  const controls = {
    q: el('input', { id: 'filter-q', name: 'q', type: 'search', autocomplete: 'off',
      placeholder: 'Pipeline, job, error, ticket id…', 'aria-describedby': 'filter-q-hint' }),
    status: selectFor('status'),
    priority: selectFor('priority'),
    source: selectFor('source'),
    category: selectFor('category'),
    team: el('input', { id: 'filter-team', name: 'team', type: 'text', autocomplete: 'off', placeholder: 'Any' }),
  };
  const read = () => Object.fromEntries(FILTER_KEYS.map((key) => [key, controls[key].value.trim()]));
  let typingTimer = null;
  const typed = () => {
    clearTimeout(typingTimer);
    typingTimer = setTimeout(() => onChange(read(), { typing: true }), TYPING_DELAY_MS);
  };
  const clear = el('button', { type: 'button', class: 'button button--quiet', text: 'Clear filters' });
  const form = el('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tickets' },
    field('filter-q', 'Search', controls.q),
    el('span', { id: 'filter-q-hint', class: 'visually-hidden', text: 'Press / to jump here from anywhere in the queue.' }),
    Object.keys(SELECTS).map((key) => field(`filter-${key}`, SELECTS[key].label, controls[key])),
    field('filter-team', 'Team', controls.team),
    el('div', { class: 'field field--action' }, clear));

  for (const key of Object.keys(SELECTS)) controls[key].addEventListener('change', () => onChange(read(), { typing: false }));
  controls.q.addEventListener('input', typed);
  controls.team.addEventListener('input', typed);
  form.addEventListener('submit', (event) => {
    event.preventDefault(); // Enter applies at once instead of waiting for the typing delay
    clearTimeout(typingTimer);
    onChange(read(), { typing: false });
  });
  clear.addEventListener('click', () => {
    for (const key of FILTER_KEYS) controls[key].value = '';
    clearTimeout(typingTimer);
    onChange(read(), { typing: false });
    controls.q.focus();
  });

  return {
    form,
    sync(filters) {
      for (const key of FILTER_KEYS) {
        if (SELECTS[key]) selectValue(controls[key], filters[key] || '');
        else if (document.activeElement !== controls[key]) controls[key].value = filters[key] || '';
      }
    },
    focusSearch() {
      controls.q.focus();
      controls.q.select();
    },
    stop() {
      clearTimeout(typingTimer);
    },
  };
}
