/**
 * The call-centre report as readable plain-text tables (`npm run report` without `--json`):
 * one with a row per figure and a column for the total and each city number, one with a row
 * per employee. Rates are shown as percentages and averages to one decimal; `--json` prints
 * the unrounded figures.
 */
import type { CallCentreReport, LineFigures } from './report';

const count = (n: number) => String(n);
const percent = (rate: number) => `${(rate * 100).toFixed(1)}%`;
const seconds = (s: number) => `${s.toFixed(1)} s`;

/** The rows of the totals table: label, and how to show the figure. */
const LINE_ROWS: [string, (f: LineFigures) => string][] = [
  ['Offered (incoming)', (f) => count(f.offered)],
  ['Answered', (f) => count(f.answered)],
  ['Missed', (f) => count(f.missed)],
  ['Missed rate', (f) => percent(f.missedRate)],
  ['Service level', (f) => percent(f.serviceLevel)],
  ['Avg ring (answered)', (f) => seconds(f.avgRingSeconds)],
  ['P90 ring (answered)', (f) => seconds(f.p90RingSeconds)],
  ['Avg talk (answered)', (f) => seconds(f.avgTalkSeconds)],
  ['Outgoing', (f) => count(f.outgoing)],
  ['Outgoing answered', (f) => count(f.outgoingAnswered)],
  ['Stuck', (f) => count(f.stuck)],
  ['Called back ≤ 20 min', (f) => count(f.callbacks.within20min)],
  ['Called back ≤ 24 h', (f) => count(f.callbacks.within24h)],
  ['Called back later', (f) => count(f.callbacks.later)],
  ['Customer called again', (f) => count(f.callbacks.customerCalledAgain)],
  ['Not called back in time', (f) => count(f.callbacks.notCalledBack)],
  ['Callback pending', (f) => count(f.callbacks.pending)],
  ['Median callback wait', (f) => seconds(f.callbacks.medianSeconds)],
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

/** Both tables, separated by a blank line. */
export function formatReport(report: CallCentreReport): string {
  const cities = Object.keys(report.byCityNumber);
  const columns: LineFigures[] = [
    report.total,
    ...cities.map((city) => report.byCityNumber[city] as LineFigures),
  ];
  const totals = formatTable(
    ['', 'Total', ...cities],
    LINE_ROWS.map(([label, show]) => [label, ...columns.map(show)]),
  );
  const employees = Object.entries(report.byEmployee);
  const staff =
    employees.length === 0
      ? 'No employee was rung or handled a call.'
      : formatTable(
          ['Employee', 'Rung', 'Answered', 'Unanswered', 'Avg ring', 'Talk', 'Outgoing'],
          employees.map(([employee, f]) => [
            employee,
            count(f.rung),
            count(f.answered),
            count(f.unanswered),
            seconds(f.avgRingSeconds),
            seconds(f.talkSeconds),
            count(f.outgoing),
          ]),
        );
  return `${totals}\n\n${staff}`;
}
