/**
 * The call-centre report's scripted day: two city numbers, three employees, answered, missed,
 * busy, outgoing and stuck calls, missed calls called back within 20 minutes, within 24 hours
 * and later, one whose customer called again and one still pending; plus a call the evening
 * before and one the next day, outside the day. The records are what the projector and the sweep
 * write, every write of each call.
 */
import { MemoryCallsStore } from '../../lambda/calls/memory-store';
import { type ProjectDeps, projectCall } from '../../lambda/calls/project-calls';
import type { StoredCall } from '../../lambda/calls/store';
import { markStuck } from '../../lambda/calls/stuck';
import { SETTINGS } from '../../lambda/config/settings';
import type { CallEventRecord } from '../../lambda/contract';
import { callOf, storedEvent } from './call-events';
import { incomingEvents, outgoingEvents, wallClock } from './calls';

export const A = '4950665310';
export const B = '4957778899';
export const E1 = '80052002651';
export const E2 = '80052002652';
export const E3 = '800774994086005';

const busyIncoming = (): CallEventRecord[] => {
  const ev = callOf({ SessionID: 'in-15', CityNumber: B, Caller: '9161010101' });
  const start = '2021-01-28 21:00:00';
  return [
    ev('CreateIncCall', { StartTime: start, Called: B }),
    ev('AttemptIncCallBegin', { StartTime: wallClock(start, 2), Called: E3 }),
    ev('AttemptIncCallEnd', { EndTime: wallClock(start, 10), Called: E3 }),
    ev('EndIncCall', { EndTime: wallClock(start, 10), Duration: 0, ResultCode: '486', Called: E3 }),
  ].map((body) => storedEvent(body));
};

/** The calls of the scripted day, in the order their events were stored (out-4, the callback, before the call it returns). */
export const script: { id: string; events: CallEventRecord[]; stuck?: true }[] = [
  // The evening before: not in the period.
  {
    id: 'in-0',
    events: incomingEvents({
      id: 'in-0',
      city: A,
      customer: '9160000000',
      start: '2021-01-27 23:59:00',
      rings: [{ employee: E1, at: 1 }],
      answer: { employee: E1, at: 3, talk: 20 },
    }),
  },
  // A: answered by E1 after 12 s in parallel ringing (E1's attempt 10 s), 120 s talk.
  {
    id: 'in-1',
    events: incomingEvents({
      id: 'in-1',
      city: A,
      customer: '9161111111',
      start: '2021-01-28 09:00:00',
      rings: [
        { employee: E1, at: 2 },
        { employee: E2, at: 2 },
      ],
      answer: { employee: E1, at: 12, talk: 120 },
    }),
  },
  // A: answered by E2 after 33 s (E2's attempt 30 s), 60 s talk.
  {
    id: 'in-2',
    events: incomingEvents({
      id: 'in-2',
      city: A,
      customer: '9162222222',
      start: '2021-01-28 09:30:00',
      rings: [{ employee: E2, at: 3 }],
      answer: { employee: E2, at: 33, talk: 60 },
    }),
  },
  // A: E1 calls C3 back 600 s after in-3 ended, stored before in-3 (out of order).
  {
    id: 'out-4',
    events: outgoingEvents({
      id: 'out-4',
      city: A,
      employee: E1,
      customer: '89163333333',
      start: '2021-01-28 10:10:40',
      ring: 10,
      talk: 90,
    }),
  },
  // A: missed, ended 10:00:40.
  {
    id: 'in-3',
    events: incomingEvents({
      id: 'in-3',
      city: A,
      customer: '9163333333',
      start: '2021-01-28 10:00:00',
      rings: [
        { employee: E1, at: 2 },
        { employee: E2, at: 2 },
      ],
      missedAt: 40,
    }),
  },
  // A: missed, ended 11:00:25; C4 calls again 3 h later (in-6).
  {
    id: 'in-5',
    events: incomingEvents({
      id: 'in-5',
      city: A,
      customer: '9164444444',
      start: '2021-01-28 11:00:00',
      rings: [{ employee: E3, at: 1 }],
      missedAt: 25,
    }),
  },
  // B: missed, ended 12:00:30; called back the next day (out-8), 26 h later.
  {
    id: 'in-7',
    events: incomingEvents({
      id: 'in-7',
      city: B,
      customer: '9165555555',
      start: '2021-01-28 12:00:00',
      rings: [{ employee: E2, at: 0 }],
      missedAt: 30,
    }),
  },
  // B: C4 again, dialling with the trunk prefix, answered by E3 after 15 s (attempt 10 s), 200 s talk.
  {
    id: 'in-6',
    events: incomingEvents({
      id: 'in-6',
      city: B,
      customer: '89164444444',
      start: '2021-01-28 14:00:25',
      rings: [{ employee: E3, at: 5 }],
      answer: { employee: E3, at: 15, talk: 200 },
    }),
  },
  // B: missed, ended 15:00:20; E1's first try busy, second answered 2 h after.
  {
    id: 'in-9',
    events: incomingEvents({
      id: 'in-9',
      city: B,
      customer: '9166666666',
      start: '2021-01-28 15:00:00',
      rings: [{ employee: E1, at: 4 }],
      missedAt: 20,
    }),
  },
  {
    id: 'out-10a',
    events: outgoingEvents({
      id: 'out-10a',
      city: B,
      employee: E1,
      customer: '89166666666',
      start: '2021-01-28 16:00:20',
      ring: 8,
      talk: 0,
    }),
  },
  {
    id: 'out-10',
    events: outgoingEvents({
      id: 'out-10',
      city: B,
      employee: E1,
      customer: '89166666666',
      start: '2021-01-28 17:00:20',
      ring: 6,
      talk: 30,
    }),
  },
  // A: missed, ended 18:00:50; nobody calls back.
  {
    id: 'in-12',
    events: incomingEvents({
      id: 'in-12',
      city: A,
      customer: '9167777777',
      start: '2021-01-28 18:00:00',
      rings: [{ employee: E3, at: 3 }],
      missedAt: 50,
    }),
  },
  // A: never ended; the sweep marks it stuck.
  {
    id: 'in-13',
    events: incomingEvents({
      id: 'in-13',
      city: A,
      customer: '9168888888',
      start: '2021-01-28 19:00:00',
      rings: [{ employee: E2, at: 2 }],
    }),
    stuck: true,
  },
  // A: answered by E1 after 5 s (attempt 4 s), 10 s talk.
  {
    id: 'in-14',
    events: incomingEvents({
      id: 'in-14',
      city: A,
      customer: '9169999999',
      start: '2021-01-28 20:00:00',
      rings: [{ employee: E1, at: 1 }],
      answer: { employee: E1, at: 5, talk: 10 },
    }),
  },
  // B: busy: offered, neither answered nor missed.
  { id: 'in-15', events: busyIncoming() },
  // B, the next day: E2 calls C5 back (in-7), 26 h after; not in the period.
  {
    id: 'out-8',
    events: outgoingEvents({
      id: 'out-8',
      city: B,
      employee: E2,
      customer: '89165555555',
      start: '2021-01-29 14:00:30',
      ring: 5,
      talk: 45,
    }),
  },
];

/**
 * Every write of every call, as the product makes them: each call's events stored, then projected
 * by `projectCall` (which settles call-backs) over the in-memory Calls store, in script order; the
 * call that never ends marked stuck as the sweep marks it; `now` is when (by default the
 * evening after the day, with every call-back window still open).
 */
export async function projectScript(now = NOW): Promise<StoredCall[]> {
  const store = new MemoryCallsStore();
  const deps: ProjectDeps = {
    calls: store,
    events: store,
    fold: {},
    callbackWindowHours: SETTINGS.callbackWindowHours.default,
    // The evening after the day: in-12's window is still open.
    now: () => now,
    logger: { debug() {}, warn() {}, error() {} },
    metrics: { addMetric() {} },
  };
  for (const { id, events, stuck } of script) {
    store.addEvents(...events);
    await projectCall(id, deps);
    const record = await store.getCall(id);
    const marked = stuck && record ? markStuck(record) : undefined;
    if (marked && !(await store.putCall(marked, record?.Version)))
      throw new Error(`${id} could not be marked stuck`);
  }
  return store.writes;
}

/** When the scripted day is projected: the evening after it. */
export const NOW = new Date('2021-01-29T20:00:00Z');

/** The scripted day. */
export const DAY = { from: '2021-01-28', to: '2021-01-28' };
