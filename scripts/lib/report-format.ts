/**
 * The call-centre report as readable plain-text tables (`npm run report` without `--json`):
 * one with a row per figure, grouped in blocks (incoming, call-backs of the missed calls,
 * outgoing, both directions) so that a figure is read as one of its block's calls, and a column
 * for the total and each city number; then one with a row per employee. Rates are shown as
 * percentages, durations to a tenth of a second under a minute and in minutes or hours above;
 * `--json` prints the unrounded figures.
 */
import type { CallCentreReport, Figure, LineFigures } from './report';

/** What the table shows for a figure that has no data (`null` in `--json`), never a 0. */
export const NO_DATA = '—';

const count = (n: number) => String(n);
const percent = (rate: Figure) => (rate === null ? NO_DATA : `${(rate * 100).toFixed(1)}%`);

/**
 * A duration a reader can take in at a glance: `9000.0 s` is easily misread by a factor of ten,
 * `2 h 30 min` is not. Under a minute the tenths still matter (ring times); above, whole seconds,
 * and above an hour whole minutes, are all a reader uses.
 */
export function duration(s: Figure): string {
  if (s === null) return NO_DATA;
  if (Number(s.toFixed(1)) < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${whole % 60} s`;
  const minutes = Math.round(s / 60);
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

type Row = [label: string, show: (f: LineFigures) => string];

/**
 * The blocks of the totals table, in the order of the report's figures. Labels name their
 * direction even inside a block, so that a line read on its own (or found with grep) is not
 * taken for the other direction's.
 */
const BLOCKS: [title: string, rows: Row[]][] = [
  [
    'Incoming calls',
    [
      ['Offered (incoming)', (f) => count(f.offered)],
      ['Answered', (f) => count(f.answered)],
      ['Missed', (f) => count(f.missed)],
      ['Missed rate', (f) => percent(f.missedRate)],
      ['Service level', (f) => percent(f.serviceLevel)],
      ['Avg ring (answered)', (f) => duration(f.avgRingSeconds)],
      ['P90 ring (answered)', (f) => duration(f.p90RingSeconds)],
      ['Avg talk (answered)', (f) => duration(f.avgTalkSeconds)],
    ],
  ],
  [
    'Missed incoming calls: call-backs',
    [
      ['Called back ≤ 20 min', (f) => count(f.callbacks.within20min)],
      // Not "≤ 24 h": read as cumulative, it would count the ≤ 20 min ones twice.
      ['Called back 20 min–24 h', (f) => count(f.callbacks.within24h)],
      ['Called back after 24 h', (f) => count(f.callbacks.later)],
      ['Customer called again', (f) => count(f.callbacks.customerCalledAgain)],
      ['Not called back in time', (f) => count(f.callbacks.notCalledBack)],
      ['Callback pending', (f) => count(f.callbacks.pending)],
      ['Median wait (resolved)', (f) => duration(f.callbacks.medianSeconds)],
    ],
  ],
  [
    'Outgoing calls',
    [
      ['Dialled (outgoing)', (f) => count(f.outgoing)],
      ['Outgoing answered', (f) => count(f.outgoingAnswered)],
      ['Outgoing avg talk (answered)', (f) => duration(f.outgoingAvgTalkSeconds)],
    ],
  ],
  ['Both directions', [['Stuck', (f) => count(f.stuck)]]],
];

/** A table with a header rule; the first column left-aligned, the others right-aligned. */
export function formatTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/**
 * Both tables, separated by a blank line. The totals table has a column for the total and one
 * per city number, except when the calls are of a single city number (`--city-number`, or a
 * period only one of them had calls in): then the total is that number's figures, and one
 * column, headed by the number, says it without repeating it.
 */
export function formatReport(report: CallCentreReport): string {
  const cities = Object.keys(report.byCityNumber);
  const [only] = cities;
  const columns: [string, LineFigures][] =
    cities.length === 1 && only !== undefined
      ? [[only, report.total]]
      : [
          ['Total', report.total],
          ...cities.map((city): [string, LineFigures] => [city, report.byCityNumber[city] as LineFigures]),
        ];
  const rows = BLOCKS.flatMap(([title, block], i) => [
    ...(i === 0 ? [] : [['']]),
    [`${title}:`],
    ...block.map(([label, show]) => [label, ...columns.map(([, figures]) => show(figures))]),
  ]);
  const totals = formatTable(['', ...columns.map(([header]) => header)], rows);
  const employees = Object.entries(report.byEmployee);
  const staff =
    employees.length === 0
      ? 'No employee was rung or handled a call.'
      : formatTable(
          ['Employee', 'Rung', 'Answered', 'Unanswered', 'Avg ring (answered)', 'Talk (in + out)', 'Dialled'],
          employees.map(([employee, f]) => [
            employee,
            count(f.rung),
            count(f.answered),
            count(f.unanswered),
            duration(f.avgRingSeconds),
            duration(f.talkSeconds),
            count(f.outgoing),
          ]),
        );
  return `${totals}\n\n${staff}`;
}
