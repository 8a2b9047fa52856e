/** The order `npm run calls` shows a call's events in: by time, then lifecycle, the ringing phase of one second by arrival. */
import { type CallEvent, type HookType, parseCallEvent, toCallEventRecord } from '../../lambda/contract';
import { specExamplePayload } from '../../lambda/contract/spec-examples';
import { compareTimeline } from '../../scripts/lib/timeline';

const example = (hookType: HookType, changes: Record<string, unknown> = {}): CallEvent => {
  const parsed = parseCallEvent({ ...specExamplePayload(hookType), ...changes });
  if (!parsed.ok) throw new Error(`${hookType} example rejected: ${JSON.stringify(parsed.issues)}`);
  return parsed.event;
};
const moscow = { timeZone: 'Europe/Moscow', rawBody: '{}' };

describe('compareTimeline: the order a timeline shows', () => {
  const at = '2021-01-28 14:15:22';
  const arriving = (event: CallEvent, ms: number) =>
    toCallEventRecord(event, { ...moscow, receivedAt: new Date(Date.parse('2021-01-28T11:15:23Z') + ms) });
  const names = (records: { HookType: string; Called?: unknown }[]) =>
    records.map((r) => `${r.HookType} ${String(r.Called ?? '')}`.trim());

  it('sequential ringing in one second: A ends, then B begins, in order of arrival', () => {
    const create = arriving(example('CreateIncCall', { StartTime: '2021-01-28 14:15:20' }), 0);
    const aBegins = arriving(
      example('AttemptIncCallBegin', { StartTime: '2021-01-28 14:15:21', Called: 'A' }),
      1,
    );
    const aEnds = arriving(example('AttemptIncCallEnd', { EndTime: at, Called: 'A' }), 100);
    const bBegins = arriving(example('AttemptIncCallBegin', { StartTime: at, Called: 'B' }), 101);
    const bAnswers = arriving(example('ChangeIncCall', { StartDuration: at, Called: 'B' }), 102);
    const end = arriving(example('EndIncCall', { EndTime: at, Called: 'B' }), 90);
    const all = [end, bAnswers, bBegins, aEnds, aBegins, create];
    // The EventKey puts B's begin before A's end (ranks 02 < 04): right for parallel ringing only.
    expect(names([...all].sort((x, y) => (x.EventKey < y.EventKey ? -1 : 1)))).toEqual([
      'CreateIncCall 4950665310',
      'AttemptIncCallBegin A',
      'AttemptIncCallBegin B',
      'ChangeIncCall B',
      'AttemptIncCallEnd A',
      'EndIncCall B',
    ]);
    const expected = [
      'CreateIncCall 4950665310',
      'AttemptIncCallBegin A',
      'AttemptIncCallEnd A',
      'AttemptIncCallBegin B',
      'ChangeIncCall B',
      // Still last in its second although it arrived first: End keeps its rank.
      'EndIncCall B',
    ];
    expect(names([...all].sort(compareTimeline))).toEqual(expected);
    expect(names([...all].reverse().sort(compareTimeline))).toEqual(expected);
  });

  it('parallel ringing in one second keeps arrival order too; without ReceivedAt, the EventKey decides', () => {
    const a = arriving(example('AttemptIncCallBegin', { StartTime: at, Called: 'A' }), 5);
    const b = arriving(example('AttemptIncCallBegin', { StartTime: at, Called: 'B' }), 7);
    expect(names([b, a].sort(compareTimeline))).toEqual(['AttemptIncCallBegin A', 'AttemptIncCallBegin B']);
    const { ReceivedAt: _a, ...noArrivalA } = a;
    const { ReceivedAt: _b, ...noArrivalB } = b;
    const byKey = [noArrivalA, noArrivalB].sort((x, y) => (x.EventKey < y.EventKey ? -1 : 1));
    expect([noArrivalB, noArrivalA].sort(compareTimeline)).toEqual(byKey);
  });

  it('time comes first, whatever the arrival: an earlier second is shown first', () => {
    const late = arriving(example('AttemptIncCallEnd', { EndTime: '2021-01-28 14:15:23' }), 0);
    const early = arriving(example('AttemptIncCallBegin', { StartTime: at }), 500);
    expect([late, early].sort(compareTimeline)).toEqual([early, late]);
  });

  it('is a total order on odd items too (missing fields sort last, deterministically)', () => {
    const items = [
      { HookType: 'Nope', EventKey: 'b' },
      { EventKey: 'a' },
      { EventTime: 'garbage', HookType: 'CreateIncCall' },
      arriving(example('CreateIncCall'), 0),
    ];
    const once = [...items].sort(compareTimeline);
    expect([...items].reverse().sort(compareTimeline)).toEqual(once);
    expect(once[0]).toBe(items[3]);
  });
});
