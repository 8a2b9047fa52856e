/**
 * The cost bench's batching windows (bench/lib/cost/windows.ts): carried out as the stream
 * mappings do (held records wait, a released mapping reads all it holds), the steps give each
 * mapping the batches Lambda's poller would read with that window.
 */
import { windowSteps } from '../../bench/lib/cost/windows';

/** The batches (event indices) each mapping reads when the steps are carried out. */
function batchesOf(times: number[], windowsMs: number[]): number[][][] {
  const pending: number[][] = windowsMs.map(() => []);
  const batches: number[][][] = windowsMs.map(() => []);
  const read = (m: number) => {
    if ((pending[m] as number[]).length > 0) (batches[m] as number[][]).push(pending[m] as number[]);
    pending[m] = [];
  };
  for (const step of windowSteps(times, windowsMs)) {
    for (const m of step.readBefore) read(m);
    for (let e = step.from; e < step.to; e++) for (const p of pending) p.push(e);
    step.held.forEach((held, m) => {
      if (!held) read(m);
    });
  }
  windowsMs.forEach((_, m) => {
    read(m);
  });
  return batches;
}

describe('the cost bench’s batching windows', () => {
  it('reads a 1 s mapping at every second and a 5 s one when its window has passed', () => {
    const [oneSecond, fiveSeconds] = batchesOf([0, 200, 1_500, 2_600, 4_000, 5_200], [1_000, 5_000]);
    expect(oneSecond).toEqual([[0, 1], [2], [3], [4], [5]]);
    expect(fiveSeconds).toEqual([[0, 1, 2, 3, 4], [5]]);
  });

  it('starts a new window for events that come after a window closed, not the old batch', () => {
    // The 5 s window opened at 0 closed at 5 s; the events at 7 s open a window of their own.
    const [, fiveSeconds] = batchesOf([0, 200, 1_500, 7_000, 7_100, 20_000], [1_000, 5_000]);
    expect(fiveSeconds).toEqual([[0, 1, 2], [3, 4], [5]]);
  });

  it('groups events by the shortest window, so a longer one closing inside a group reads at its end', () => {
    // The 1 s group opened at 4.8 s takes 5.2 s in; the 5 s window, closed at 5 s, reads both.
    const [oneSecond, fiveSeconds] = batchesOf([0, 1_500, 4_800, 5_200, 20_000], [1_000, 5_000]);
    expect(oneSecond).toEqual([[0], [1], [2, 3], [4]]);
    expect(fiveSeconds).toEqual([[0, 1, 2, 3], [4]]);
  });

  it('reads every event once, each mapping, whatever the spacing', () => {
    const times = [0, 10, 999, 1_000, 3_000, 3_001, 9_999, 10_000, 10_001, 16_000, 60_000];
    for (const batches of batchesOf(times, [1_000, 5_000, 2_000]))
      expect(batches.flat()).toEqual(times.map((_, i) => i));
  });

  it('holds nothing after the last group, so the bench ends with every batch read', () => {
    const steps = windowSteps([0, 100], [1_000, 5_000]);
    expect(steps).toHaveLength(1);
    expect(steps[0]?.held).toEqual([false, false]);
  });

  it('refuses event times out of order', () => {
    expect(() => windowSteps([5, 1], [1_000])).toThrow(RangeError);
  });
});
