/** The stuck-call rule: an open call with nothing received for the threshold, and the record the sweep writes. */
import { isStuck, markStuck, stuckCutoff } from '../../lambda/calls/stuck';
import { SETTINGS } from '../../lambda/config/settings';
import { incomingEvents, recordOf } from '../support/calls';

const MINUTES = SETTINGS.stuckCallAfterMinutes.default;
const events = incomingEvents({
  id: 'open-1',
  customer: '9161234567',
  start: '2021-01-28 14:15:22',
  rings: [{ employee: '80052002651', at: 5 }],
});
/** Received one second after its last event: 2021-01-28T11:15:28Z. */
const open = recordOf(events);
const LAST = Date.parse(open.LastReceivedAt);
const minutesLater = (minutes: number, ms = 0) => new Date(LAST + minutes * 60_000 + ms);

describe('isStuck', () => {
  it('is true for an open call once nothing has been received for the threshold, exactly included', () => {
    expect(open.LastReceivedAt).toBe('2021-01-28T11:15:28.000Z');
    expect(isStuck(open, minutesLater(MINUTES, -1), MINUTES)).toBe(false);
    expect(isStuck(open, minutesLater(MINUTES), MINUTES)).toBe(true);
    expect(isStuck(open, minutesLater(MINUTES * 10), MINUTES)).toBe(true);
    expect(isStuck(open, minutesLater(30), 30)).toBe(true);
    expect(isStuck(open, minutesLater(29), 30)).toBe(false);
  });

  it('is false for an ended call and for one already stuck, however old', () => {
    const ended = recordOf(
      incomingEvents({ id: 'm', customer: '9161234567', start: '2021-01-28 14:15:22', missedAt: 30 }),
    );
    expect(isStuck(ended, minutesLater(MINUTES * 100), MINUTES)).toBe(false);
    expect(isStuck(markStuck(open) as typeof open, minutesLater(MINUTES * 100), MINUTES)).toBe(false);
  });

  it('the cutoff is the latest LastReceivedAt that is stuck now', () => {
    const now = minutesLater(MINUTES);
    expect(stuckCutoff(now, MINUTES)).toBe(open.LastReceivedAt);
    expect(isStuck({ ...open, LastReceivedAt: stuckCutoff(now, MINUTES) }, now, MINUTES)).toBe(true);
  });
});

describe('markStuck', () => {
  it('writes Status stuck, out of the OpenCalls index, at the next Version, everything else kept', () => {
    expect(open).toMatchObject({ Status: 'open', OpenCall: 'open', Version: 1 });
    const { OpenCall: _key, ...rest } = open;
    expect(markStuck(open)).toEqual({ ...rest, Status: 'stuck', Version: 2 });
  });

  it('writes nothing for a call that is not open', () => {
    const stuck = markStuck(open) as typeof open;
    expect(markStuck(stuck)).toBeUndefined();
    const ended = recordOf(
      incomingEvents({ id: 'm', customer: '9161234567', start: '2021-01-28 14:15:22', missedAt: 30 }),
    );
    expect(markStuck(ended)).toBeUndefined();
  });
});
