/**
 * How the cost bench plays timed events through stream mappings that each have a batching
 * window, as Lambda's poller reads them: the first record a mapping has not read opens its
 * window, and when the window has passed the mapping reads, in one batch, every record that came
 * meanwhile. A mapping whose window closed before the next events arrive has read already, so
 * those events open a new window rather than join the old batch.
 *
 * The events are posted in groups as long as the shortest window (its step); a window that closes
 * inside a group reads at the group's end, so a batch can take in events up to one step late.
 * Pure: measure.ts carries the steps out with StreamPoller.hold.
 */

/** One group of events and what each mapping does around it. */
export interface WindowStep {
  /** Mappings (by index) whose window closed before this group began: they read first. */
  readBefore: number[];
  /** The group: events `from` (inclusive) to `to` (exclusive) of the sorted times. */
  from: number;
  to: number;
  /** Per mapping: still inside its window after the group, so it must not read yet. */
  held: boolean[];
}

/** The steps for events at `times` (ms, ascending) and mappings with windows of `windowsMs`. */
export function windowSteps(times: readonly number[], windowsMs: readonly number[]): WindowStep[] {
  for (let i = 1; i < times.length; i++)
    if ((times[i] as number) < (times[i - 1] as number))
      throw new RangeError('windowSteps needs the event times in ascending order');
  const windows = windowsMs.map((w) => Math.max(1, w));
  const step = Math.min(...windows);
  const closes: (number | undefined)[] = windows.map(() => undefined);
  const steps: WindowStep[] = [];
  for (let i = 0; i < times.length; ) {
    const opened = times[i] as number;
    let j = i + 1;
    while (j < times.length && (times[j] as number) < opened + step) j++;
    const readBefore = closes.flatMap((at, m) => (at !== undefined && at <= opened ? [m] : []));
    for (const m of readBefore) closes[m] = undefined;
    const held = windows.map((window, m) => {
      const closesAt = closes[m] ?? opened + window;
      const due = opened + step >= closesAt || j === times.length;
      closes[m] = due ? undefined : closesAt;
      return !due;
    });
    steps.push({ readBefore, from: i, to: j, held });
    i = j;
  }
  return steps;
}
