/**
 * The staff pages' home: the cohort dashboard. One chart per gateway
 * endpoint (/api/dashboard/*), drawn with Chart.js (bundled by esbuild with
 * the rest of staff.js: no CDN, nothing inline, so the CSP holds). Every bar
 * leads to the list behind it: a click on the bar, or the link in the
 * chart's table of figures (which is also what a screen reader reads).
 *
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Filler,
  Legend,
  LineController,
  LineElement,
  LinearScale,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type Plugin,
  // Chart.js is ESM-only; the type-check (tsconfig "Node16", CommonJS) would refuse a require of it, but this
  // file never runs under Node: esbuild bundles it as ESM for the browser (assets.ts), named imports tree-shaken.
  // @ts-expect-error TS1479
} from 'chart.js';
import type { BurnDown, CategoryCount, CohortSummary, LateEventCount, OutstandingCount, ReviewBacklog } from '../../../dashboard/figures';

type LateEvents = { total: number; kinds: LateEventCount[] };
import type { RegistrationStatus } from '../../../../workflows/registration/types';
import { hkDate } from '../../../../workflows/registration/working-days';
import { request, staffAuthHeaders } from '../api';
import { fmtDate, h, toast, type Child } from '../dom';
import { LATE_EVENT, STATUS, STUDY_LEVEL } from '../labels';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Filler, Tooltip, Legend);

export interface DashboardDeps {
  /** The signed-in staff member's API key (bearer), or '' when the single sign-on cookie authenticates. */
  staffKey: string;
  role: 'officer' | 'admin';
  /** Follow a link inside the staff pages without reloading. */
  navigate(to: string): void;
  /** Names an item key for people (supplementary documents by their title). */
  itemName(key: string): string;
}

interface Filter {
  cohortId: string;
  programCode?: string;
  studyLevel?: string;
}

const COLORS = { ok: '#17683b', warn: '#b07800', bad: '#a8231a', info: '#1d4f91', neutral: '#7b8794', navy: '#003366', gold: '#a8842c' };

/** Charts of the page on screen; destroyed when the dashboard is drawn again. */
let live: Chart[] = [];
/** Where a click on a bar goes (the staff pages' in-place navigation). */
let navigateTo: (to: string) => void = (to) => location.assign(to);

/** Vertical marks on a category axis (deadlines, today, the service level), drawn after the datasets. */
interface Mark {
  /** Position on the category axis; a fraction puts it between two categories. */
  at: number;
  label: string;
  color: string;
}
const markers: Plugin = {
  id: 'progregMarks',
  afterDatasetsDraw(chart) {
    const marks = (chart.options.plugins as { progregMarks?: Mark[] } | undefined)?.progregMarks ?? [];
    const x = chart.scales.x;
    if (!x) return;
    const { ctx, chartArea } = chart;
    ctx.save();
    marks.forEach((m, i) => {
      const lo = Math.floor(m.at);
      const px = lo === m.at ? x.getPixelForValue(lo) : (x.getPixelForValue(lo) + x.getPixelForValue(lo + 1)) / 2;
      ctx.strokeStyle = m.color;
      ctx.setLineDash([5, 4]);
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.moveTo(px, chartArea.top);
      ctx.lineTo(px, chartArea.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = m.color;
      ctx.font = '600 12px system-ui, sans-serif';
      ctx.textAlign = px > chartArea.right - 80 ? 'right' : 'left';
      ctx.fillText(m.label, px + (ctx.textAlign === 'right' ? -4 : 4), chartArea.top + 12 + i * 14);
    });
    ctx.restore();
  },
};

export async function dashboardPage(deps: DashboardDeps): Promise<HTMLElement> {
  for (const c of live) c.destroy();
  live = [];
  navigateTo = deps.navigate;
  const get = <T>(path: string, query: Record<string, string | undefined> = {}) => request<T>(path, { bearer: deps.staffKey, query });
  const { items: cohorts } = await get<{ items: CohortSummary[] }>('/api/dashboard/cohorts');
  const q = new URLSearchParams(location.search);
  const cohort = cohorts.find((c) => c.id === q.get('cohortId')) ?? cohorts[0];
  if (!cohort) {
    return h(
      'div',
      null,
      head(deps, undefined),
      h('section', { class: 'card' }, h('h2', null, 'No cohorts yet'), h('p', null, 'Import a cohort to see its dashboard.')),
    );
  }
  const filter: Filter = {
    cohortId: cohort.id,
    programCode: q.get('programCode')?.trim().toUpperCase() || undefined,
    studyLevel: q.get('studyLevel') || undefined,
  };
  const query = { ...filter };
  const [statuses, categories, burn, outstanding, backlog, late] = await Promise.all([
    get<{ total: number; statuses: Array<{ status: RegistrationStatus; count: number }> }>('/api/dashboard/statuses', query),
    get<{ total: number; categories: CategoryCount[] }>('/api/dashboard/categories', query),
    get<BurnDown>('/api/dashboard/burndown', query),
    get<{ items: OutstandingCount[] }>('/api/dashboard/outstanding', query),
    get<ReviewBacklog>('/api/dashboard/review-backlog', query),
    get<LateEvents>('/api/dashboard/late-events', query),
  ]);

  const list = (path: string, more: Record<string, string | undefined>) => {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...filter, ...more })) if (v) qs.set(k, v);
    return `${path}?${qs}`;
  };
  const regList = (more: Record<string, string | undefined>) => list('/staff/registrations', more);
  const queueList = (more: Record<string, string | undefined>) => list('/staff/queue', more);

  if (statuses.total === 0) {
    // Six empty charts would say nothing: say what matched nothing, and how to see the cohort again.
    const what = [filter.programCode ? `program ${filter.programCode}` : '', filter.studyLevel ? `study level ${filter.studyLevel}` : '']
      .filter(Boolean)
      .join(' and ');
    return h(
      'div',
      { class: 'dashboard' },
      head(deps, cohort),
      filterForm(cohorts, filter, deps),
      h(
        'section',
        { class: 'card', 'data-testid': 'dashboard-empty' },
        h('h2', null, 'No registrations match'),
        h(
          'p',
          null,
          `Cohort ${cohort.id} has no registration${what ? ` for ${what}` : ''}. Check the program code, or `,
          h('a', { href: `/staff/?cohortId=${encodeURIComponent(cohort.id)}` }, 'see the whole cohort'),
          '.',
        ),
      ),
    );
  }

  const cards = [
    chartCard({
      id: 'status',
      title: 'Registrations by status',
      summary: `${statuses.total} registrations`,
      rows: statuses.statuses.map((s) => ({ label: STATUS[s.status].label, value: s.count, href: regList({ status: s.status }) })),
      config: (rows) =>
        bars(
          rows,
          statuses.statuses.map((s) => COLORS[STATUS[s.status].tone]),
        ),
    }),
    chartCard({
      id: 'category',
      title: 'Registrations by student category',
      summary: `${categories.total} registrations in ${categories.categories.length} categories`,
      rows: categories.categories.map((c) => ({
        label: categoryLabel(c),
        value: c.count,
        href: regList({ studyLevel: c.studyLevel, admissionRoute: c.admissionRoute ?? undefined, residency: c.residency }),
      })),
      config: (rows) => bars(rows, COLORS.navy, true),
    }),
    burnDownCard(burn, regList({ missingCompulsory: 'true' })),
    chartCard({
      id: 'outstanding',
      title: 'Outstanding items by kind',
      summary: 'Items not yet verified or waived, in open registrations',
      rows: outstanding.items.map((i) => ({
        label: deps.itemName(i.itemKey),
        value: i.pending + i.rejected + i.submitted,
        detail: `${i.pending} never handed in, ${i.rejected} rejected, ${i.submitted} awaiting review`,
        href: regList({ outstanding: i.itemKey, open: 'true' }),
      })),
      config: (rows) => ({
        type: 'bar',
        data: {
          labels: rows.map((r) => r.label),
          datasets: [
            { label: 'Never handed in', data: outstanding.items.map((i) => i.pending), backgroundColor: COLORS.neutral },
            { label: 'Rejected', data: outstanding.items.map((i) => i.rejected), backgroundColor: COLORS.bad },
            { label: 'Awaiting review', data: outstanding.items.map((i) => i.submitted), backgroundColor: COLORS.info },
          ],
        },
        options: {
          indexAxis: 'y',
          scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } },
          plugins: { legend: { display: true, position: 'bottom' } },
        },
      }),
    }),
    backlogCard(backlog, queueList),
    chartCard({
      id: 'late',
      title: 'Late events',
      summary: `${late.total} payment${late.total === 1 ? '' : 's'} or activations after the outcome: recorded, never applied`,
      rows: late.kinds.map((k) => ({
        label: LATE_EVENT[k.kind].many,
        value: k.count,
        detail: k.statuses.map((s) => `${s.count} ${STATUS[s.status as RegistrationStatus]?.label.toLowerCase() ?? s.status}`).join(', ') || undefined,
        // The late-events list filters by cohort and program (not study level).
        href: `/staff/late-events?${new URLSearchParams(Object.entries({ kind: k.kind, cohortId: filter.cohortId, programCode: filter.programCode }).filter((e): e is [string, string] => !!e[1]))}`,
      })),
      config: (rows) => bars(rows, COLORS.bad),
    }),
  ];
  return h('div', { class: 'dashboard' }, head(deps, cohort), filterForm(cohorts, filter, deps), h('div', { class: 'chart-grid' }, cards));
}

function head(deps: DashboardDeps, cohort: CohortSummary | undefined): HTMLElement {
  const subtitle = cohort
    ? `Cohort ${cohort.id}: registration deadline ${fmtDate(cohort.registrationDeadline)}${cohort.paymentDeadline ? `, payment deadline ${fmtDate(cohort.paymentDeadline)}` : ''}. Click a bar for the list behind it.`
    : 'Figures for a cohort, a program or a study level.';
  const actions: Child[] = [];
  if (cohort && deps.role === 'admin') {
    for (const format of ['csv', 'json'] as const) {
      const b = h('button', { class: 'btn btn-secondary', type: 'button', 'data-export': format }, `Export ${format.toUpperCase()}`);
      b.addEventListener('click', () => void exportCohort(deps, cohort.id, format, b));
      actions.push(b);
    }
  }
  return h(
    'div',
    { class: 'page-head' },
    h('div', null, h('h1', null, 'Cohort dashboard'), h('p', { class: 'muted' }, subtitle)),
    actions.length ? h('div', { class: 'actions' }, actions) : null,
  );
}

/** The export needs the key in a header, so it is fetched and handed to the browser as a file. */
async function exportCohort(deps: DashboardDeps, cohortId: string, format: 'csv' | 'json', button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    const res = await fetch(`/api/exports/registrations?${new URLSearchParams({ cohort: cohortId, format })}`, { headers: staffAuthHeaders(deps.staffKey) });
    if (!res.ok) throw new Error(`The export failed (${res.status}).`);
    const a = h('a', { href: URL.createObjectURL(await res.blob()), download: `registrations-${cohortId}.${format}` });
    document.body.append(a);
    a.click();
    setTimeout(() => (URL.revokeObjectURL(a.href), a.remove()), 1000);
  } catch (e) {
    toast(e instanceof Error ? e.message : String(e), 'bad');
  } finally {
    button.disabled = false;
  }
}

function filterForm(cohorts: CohortSummary[], f: Filter, deps: DashboardDeps): HTMLFormElement {
  const form = h(
    'form',
    { class: 'filters card', role: 'search', 'aria-label': 'Dashboard filters' },
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'dash-cohort' }, 'Cohort'),
      h(
        'select',
        { id: 'dash-cohort', name: 'cohortId' },
        cohorts.map((c) => h('option', { value: c.id, selected: c.id === f.cohortId }, `${c.name ?? c.id} (${c.registrations})`)),
      ),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'dash-program' }, 'Program'),
      h('input', { type: 'text', id: 'dash-program', name: 'programCode', value: f.programCode ?? '', placeholder: 'All programs' }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'dash-level' }, 'Study level'),
      h(
        'select',
        { id: 'dash-level', name: 'studyLevel' },
        h('option', { value: '' }, 'All'),
        Object.entries(STUDY_LEVEL).map(([v, text]) => h('option', { value: v, selected: v === f.studyLevel }, text)),
      ),
    ),
    h('div', { class: 'actions' }, h('button', { class: 'btn', type: 'submit' }, 'Show')),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const qs = new URLSearchParams();
    new FormData(form).forEach((v, k) => void (String(v).trim() && qs.set(k, String(v).trim())));
    deps.navigate(`/staff/?${qs}`);
  });
  form.addEventListener('change', (e) => (e.target as HTMLElement).tagName === 'SELECT' && form.requestSubmit());
  return form;
}

const categoryLabel = (c: CategoryCount) =>
  [
    STUDY_LEVEL[c.studyLevel as keyof typeof STUDY_LEVEL] ?? c.studyLevel,
    c.admissionRoute ? (c.admissionRoute === 'JUPAS' ? 'JUPAS' : 'Non-JUPAS') : null,
    c.residency === 'LOCAL' ? 'local' : 'non-local',
  ]
    .filter(Boolean)
    .join(', ');

interface Row {
  label: string;
  value: number;
  href: string;
  detail?: string;
}

interface CardSpec {
  id: string;
  title: string;
  summary: Child;
  rows: Row[];
  config(rows: Row[]): ChartConfiguration;
  /** Where a click on the chart goes, by the index of the bar or point; default the row's link. */
  hrefAt?(index: number): string | undefined;
  /** Shown between the summary and the chart. */
  extra?: Child;
}

function bars(rows: Row[], color: string | string[], horizontal = false): ChartConfiguration {
  return {
    type: 'bar',
    data: { labels: rows.map((r) => r.label), datasets: [{ label: 'Registrations', data: rows.map((r) => r.value), backgroundColor: color }] },
    options: { indexAxis: horizontal ? 'y' : 'x', scales: { [horizontal ? 'x' : 'y']: { beginAtZero: true, ticks: { precision: 0 } } } },
  };
}

/** A chart, its summary, and its figures as a table of links (the same numbers, for reading and for keyboards). */
function chartCard(spec: CardSpec): HTMLElement {
  const canvas = h('canvas', {
    role: 'img',
    'aria-label': `${spec.title}: ${spec.rows.map((r) => `${r.label} ${r.value}`).join(', ') || 'nothing to show'}`,
    'data-chart': spec.id,
  });
  const figures = h(
    'table',
    { class: 'figures', 'data-figures': spec.id },
    h('caption', { class: 'visually-hidden' }, spec.title),
    h(
      'tbody',
      null,
      spec.rows.map((r) =>
        h(
          'tr',
          { 'data-label': r.label },
          h('th', { scope: 'row' }, h('a', { href: r.href }, r.label), r.detail ? h('div', { class: 'small muted' }, r.detail) : null),
          h('td', { class: 'num' }, String(r.value)),
        ),
      ),
    ),
  );
  const card = h(
    'section',
    { class: 'card chart-card', id: `chart-${spec.id}`, 'aria-labelledby': `chart-${spec.id}-title` },
    h('div', { class: 'card-title' }, h('h2', { id: `chart-${spec.id}-title` }, spec.title)),
    h('p', { class: 'small muted chart-summary' }, spec.summary),
    spec.extra ?? null,
    h('div', { class: 'chart-box' }, canvas),
    h(
      'details',
      { class: 'chart-figures' },
      h('summary', null, 'Figures and lists'),
      spec.rows.length ? figures : h('p', { class: 'muted small' }, 'Nothing to show.'),
    ),
  );
  const config = spec.config(spec.rows);
  config.options = {
    responsive: true,
    maintainAspectRatio: false,
    animation: false,
    ...config.options,
    plugins: { legend: { display: false }, ...(config.options?.plugins ?? {}) },
    onHover: (_e, elements) => void (canvas.style.cursor = elements.length ? 'pointer' : 'default'),
    onClick: (_e, elements) => {
      const index = elements[0]?.index;
      if (index === undefined) return;
      const href = spec.hrefAt ? spec.hrefAt(index) : spec.rows[index]?.href;
      if (href) navigateTo(href);
    },
  };
  config.plugins = [...(config.plugins ?? []), markers];
  // The plotted numbers, for tests and for anyone inspecting the page.
  canvas.dataset.values = JSON.stringify(config.data.datasets.map((d) => d.data));
  live.push(new Chart(canvas, config));
  return card;
}

function burnDownCard(b: BurnDown, listHref: string): HTMLElement {
  const today = b.days.find((d) => d.date === b.today);
  const index = (iso: string | null) => (iso ? b.days.findIndex((d) => d.date === hkDate(Date.parse(iso))) : -1);
  const marks: Mark[] = [];
  const todayAt = b.days.findIndex((d) => d.date === b.today);
  if (index(b.paymentDeadline) >= 0) marks.push({ at: index(b.paymentDeadline), label: 'Payment deadline', color: COLORS.gold });
  if (index(b.registrationDeadline) >= 0) marks.push({ at: index(b.registrationDeadline), label: 'Registration deadline', color: COLORS.bad });
  if (todayAt >= 0) marks.push({ at: todayAt, label: 'Today', color: COLORS.neutral });
  const projected = projection(b, todayAt);
  const atDeadline = projected[index(b.registrationDeadline)];
  const rows: Row[] = b.days
    .filter((d) => d.missing !== null)
    .map((d) => ({ label: fmtDate(d.date), value: d.missing!, href: listHref, detail: `${d.registrations} registrations` }));
  return chartCard({
    id: 'burndown',
    title: 'Burn-down to the deadline',
    summary: h(
      'span',
      null,
      today ? `${today.missing} of ${today.registrations} still miss a compulsory item today. ` : '',
      atDeadline !== undefined && atDeadline !== null ? `At the pace so far, ${atDeadline} would still miss one at the registration deadline. ` : '',
      h('a', { href: listHref }, 'See who'),
    ),
    rows,
    hrefAt: () => listHref,
    config: () => ({
      type: 'line',
      data: {
        labels: b.days.map((d) =>
          fmtDate(d.date)
            .replace(/^\w+, /, '')
            .replace(/ \d{4}$/, ''),
        ),
        datasets: [
          {
            label: 'Missing a compulsory item',
            data: b.days.map((d) => d.missing),
            borderColor: COLORS.navy,
            backgroundColor: 'rgba(0, 51, 102, 0.12)',
            fill: true,
            pointRadius: 3,
            spanGaps: false,
          },
          {
            label: 'Projected at the pace so far',
            data: projected,
            borderColor: COLORS.neutral,
            borderDash: [6, 4],
            pointRadius: 0,
            fill: false,
            spanGaps: false,
          },
        ],
      },
      options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }, plugins: { progregMarks: marks } as never },
    }),
  });
}

/**
 * The dashed line from today to the last day of the chart: today's count going down by the average
 * daily fall since the first day (flat when nothing has come in yet), never below 0; null before today.
 */
function projection(b: BurnDown, todayAt: number): Array<number | null> {
  const first = b.days[0]?.missing;
  const now = b.days[todayAt]?.missing;
  if (todayAt < 0 || first === null || first === undefined || now === null || now === undefined) return b.days.map(() => null);
  const pace = todayAt > 0 ? Math.max(0, (first - now) / todayAt) : 0;
  return b.days.map((_, i) => (i < todayAt ? null : Math.max(0, Math.round(now - pace * (i - todayAt)))));
}

function backlogCard(b: ReviewBacklog, queueList: (more: Record<string, string | undefined>) => string): HTMLElement {
  const all = queueList({});
  const breached = queueList({ slaBreached: 'true' });
  const rows: Row[] = b.ages.map((a) => ({
    label: `${a.ageWorkingDays} working day${a.ageWorkingDays === 1 ? '' : 's'}`,
    value: a.count,
    href: a.breached ? breached : all,
    detail: a.breached ? `${a.breached} past the service level` : undefined,
  }));
  return chartCard({
    id: 'backlog',
    title: 'Review backlog by age',
    summary: h(
      'span',
      null,
      `${b.total} items waiting for review; service level ${b.serviceLevelDays} working days; `,
      h('a', { href: breached, 'data-testid': 'breaches' }, h('strong', null, `${b.breached} past it`)),
      '. ',
      h('a', { href: all }, 'Open the queue'),
    ),
    rows,
    config: () => ({
      type: 'bar',
      data: {
        labels: b.ages.map((a) => String(a.ageWorkingDays)),
        datasets: [
          {
            label: 'Items',
            data: b.ages.map((a) => a.count),
            backgroundColor: b.ages.map((a) => (a.breached ? COLORS.bad : a.ageWorkingDays > b.serviceLevelDays ? COLORS.warn : COLORS.info)),
          },
        ],
      },
      options: {
        scales: { x: { title: { display: true, text: 'Age in Hong Kong working days' } }, y: { beginAtZero: true, ticks: { precision: 0 } } },
        plugins: { progregMarks: [{ at: b.serviceLevelDays + 0.5, label: `Service level: ${b.serviceLevelDays} days`, color: COLORS.bad }] } as never,
      },
    }),
  });
}
