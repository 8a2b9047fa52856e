/**
 * The counts the functions write as EMF metrics, as their pure code sees them (Powertools
 * `Metrics` is one). A count of zero is not written: CloudWatch then has no data point for it,
 * which every alarm of the stack reads as healthy (they treat missing data as not breaching), and
 * a zero in every invocation's EMF record is CloudWatch Logs bytes paid for nothing
 * (docs/BENCHMARKS.md, "Decisions").
 */
export interface Counts {
  addMetric(name: string, unit: 'Count', value: number): void;
}

/** Adds `n` to the metric `name` of this invocation's EMF record, unless it is zero. */
export function addCount(counts: Counts, name: string, n: number): void {
  if (n > 0) counts.addMetric(name, 'Count', n);
}
