/**
 * Whole calls for the calls-layer tests, described by who rang whom and when: the provider's
 * webhook bodies (to send over HTTP), turned into stored events by the product's own functions
 * (call-events.ts), then into Calls records by the fold and the projector's `nextCall`.
 */
import { foldCall } from '../../lambda/calls/fold-call';
import { nextCall } from '../../lambda/calls/project-calls';
import type { StoredCall } from '../../lambda/calls/store';
import type { CallEventRecord } from '../../lambda/contract';
import { callOf, storedEvent } from './call-events';

export const CITY = '4950665310';

/** A provider wall-clock time (Moscow) `seconds` after `start`. */
export function wallClock(start: string, seconds = 0): string {
  const ms = Date.parse(`${start.replace(' ', 'T')}Z`) + seconds * 1000;
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}

/** The UTC ISO instant of a Moscow wall-clock time (UTC+3) `seconds` after it. */
export function utc(start: string, seconds = 0): string {
  return `${wallClock(start, seconds - 3 * 3600).replace(' ', 'T')}Z`;
}

export interface Ring {
  employee: string;
  /** Seconds after the call's start. */
  at: number;
}

export interface IncomingCall {
  id: string;
  customer: string;
  /** Moscow wall clock, `YYYY-MM-DD HH:MM:SS`. */
  start: string;
  city?: string;
  /** Employees rung; each ring that is not the answer ends when the call is answered or ends. */
  rings?: Ring[];
  /** Who answered and when (seconds after start); absent: nobody. */
  answer?: { employee: string; at: number; talk: number };
  /** A missed call ends this many seconds after start; absent with no answer: still open. */
  missedAt?: number;
}

/** The provider's webhook bodies of an incoming call, in the order it sends them. */
export function incomingBodies(c: IncomingCall): Record<string, unknown>[] {
  const city = c.city ?? CITY;
  const ev = callOf({ SessionID: c.id, CityNumber: city, Caller: c.customer });
  const bodies: Record<string, unknown>[] = [ev('CreateIncCall', { StartTime: c.start, Called: city })];
  const stop = c.answer?.at ?? c.missedAt;
  for (const ring of c.rings ?? []) {
    bodies.push(ev('AttemptIncCallBegin', { StartTime: wallClock(c.start, ring.at), Called: ring.employee }));
    if (c.answer?.employee === ring.employee) continue;
    if (stop !== undefined)
      bodies.push(ev('AttemptIncCallEnd', { EndTime: wallClock(c.start, stop), Called: ring.employee }));
  }
  if (c.answer) {
    const { employee, at, talk } = c.answer;
    bodies.push(ev('ChangeIncCall', { StartDuration: wallClock(c.start, at), Called: employee }));
    bodies.push(
      ev('EndIncCall', {
        EndTime: wallClock(c.start, at + talk),
        Duration: talk,
        ResultCode: '200',
        Called: employee,
      }),
    );
  } else if (c.missedAt !== undefined) {
    bodies.push(
      ev('MissedIncCall', { EndTime: wallClock(c.start, c.missedAt), Duration: 0, ResultCode: '304' }),
    );
  }
  return bodies;
}

/** The stored events of an incoming call. */
export function incomingEvents(c: IncomingCall): CallEventRecord[] {
  return incomingBodies(c).map((body) => storedEvent(body));
}

export interface OutgoingCall {
  id: string;
  employee: string;
  customer: string;
  start: string;
  city?: string;
  /** Seconds from start to the end; the talk is the last `talk` of them. */
  ring: number;
  talk: number;
  /** @default '200' when talk > 0, else '486' */
  resultCode?: string;
}

/** The provider's webhook bodies of an outgoing call. */
export function outgoingBodies(c: OutgoingCall): Record<string, unknown>[] {
  const ev = callOf({ SessionID: c.id, CityNumber: c.city ?? CITY, Caller: c.employee });
  return [
    ev('CreateOutCall', { StartTime: c.start, Called: c.customer }),
    ev('EndOutCall', {
      StartTime: c.start,
      EndTime: wallClock(c.start, c.ring + c.talk),
      Duration: c.talk,
      Called: c.customer,
      ResultCode: c.resultCode ?? (c.talk > 0 ? '200' : '486'),
    }),
  ];
}

/** The stored events of an outgoing call. */
export function outgoingEvents(c: OutgoingCall): CallEventRecord[] {
  return outgoingBodies(c).map((body) => storedEvent(body));
}

/** The record the projector writes first for these events (Version 1). */
export function recordOf(events: CallEventRecord[]): StoredCall {
  return nextCall(undefined, foldCall(events)) as StoredCall;
}
