/**
 * A month of a busy line as Calls records, for the report's measurements: the provider's
 * events of every call (three city numbers with their employees, a pool of customers;
 * answered, missed, busy and outgoing calls, missed calls called back or called again, a few
 * that never ended; weekdays busier than weekends, the day's peaks in business hours), stored
 * as the ingest stores them (`parseCallEvent`, `toCallEventRecord`) and projected as the
 * projector projects them (`projectCall` over an in-memory store, in the order the calls
 * ended; the sweep's `markStuck` for the calls that never ended). Seeded: every run measures
 * the same calls.
 */
import {
  type FoldOptions,
  MemoryCallsStore,
  markStuck,
  type ProjectDeps,
  projectCall,
  type StoredCall,
} from '../../lambda/calls';
import { toCallEventRecord } from '../../lambda/contract/call-event-record';
import { localTimeToUtcIso } from '../../lambda/contract/local-time';
import { type CallEventInput, parseCallEvent } from '../../lambda/contract/schema';
import { providerTime } from '../../scripts/lib/scenarios';

export interface MonthOptions {
  /** Calls in the month, exactly. */
  calls: number;
  /** `YYYY-MM`. */
  month: string;
  /** The projector's settings, as the stack gives them. */
  fold: Required<FoldOptions>;
  callbackWindowHours: number;
  retentionDays?: number | undefined;
  /** @default 20261101 */
  seed?: number;
}

export type CallKind =
  | 'answered'
  | 'missed'
  | 'busy or failed'
  | 'never ended'
  | 'outgoing'
  | 'call-back attempt'
  | 'customer calling again';

export interface MonthOfCalls {
  records: StoredCall[];
  /** Stored events folded into the records. */
  events: number;
  /** The calls as planned (a call-back attempt is outgoing, a customer calling again incoming). */
  byKind: Partial<Record<CallKind, number>>;
  cityNumbers: string[];
  employees: number;
  customers: number;
}

/** Fake numbers in the provider's formats: 10-digit city numbers, 11-digit internal lines. */
const LINES = [
  { city: '4950001000', share: 0.55, employees: 6 },
  { city: '4950002000', share: 0.3, employees: 4 },
  { city: '8120003000', share: 0.15, employees: 3 },
].map((line, l) => ({
  ...line,
  staff: Array.from({ length: line.employees }, (_, i) => `800500${l + 1}${String(i + 1).padStart(4, '0')}`),
}));
type Line = (typeof LINES)[number];

/** Calls an hour of a weekday, relative; nights are quiet, mornings and afternoons peak. */
const HOURS = [
  0.02, 0.01, 0.01, 0.01, 0.01, 0.02, 0.05, 0.15, 0.5, 1, 1.3, 1.3, 1, 0.9, 1.2, 1.2, 1.1, 0.9, 0.5, 0.25,
  0.12, 0.06, 0.04, 0.03,
];
/** How long a returned missed call waits, seconds from–to, and how often: minutes, hours, days. */
const CALLBACK_DELAYS: readonly (readonly [number, number, number])[] = [
  [120, 1200, 0.45],
  [1200, 8 * 3600, 0.35],
  [86_400, 3 * 86_400, 0.2],
];
/** Calls a day, relative, Sunday first. */
const WEEKDAYS = [0.3, 1, 1, 1, 1, 1, 0.45];

/** mulberry32: small, fast and good enough to pick calls. */
function seeded(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

function weighted<T>(random: () => number, items: readonly T[], weight: (item: T) => number): T {
  const total = items.reduce((s, item) => s + weight(item), 0);
  let r = random() * total;
  for (const item of items) {
    r -= weight(item);
    if (r < 0) return item;
  }
  return items[items.length - 1] as T;
}

/** The items in an order drawn from `random` (Fisher–Yates). */
function shuffled<T>(random: () => number, items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** `count` split over `weights` in whole numbers that add up to `count` (largest remainders). */
function apportion(count: number, weights: readonly number[]): number[] {
  const total = weights.reduce((s, w) => s + w, 0);
  const exact = weights.map((w) => (count * w) / total);
  const counts = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i] as const).sort((a, b) => b[0] - a[0]);
  const left = count - counts.reduce((s, n) => s + n, 0);
  for (let k = 0; k < left; k++) {
    const i = order[k]?.[1] as number;
    counts[i] = (counts[i] as number) + 1;
  }
  return counts;
}

function daysOfMonth(month: string): string[] {
  const [year, m] = month.split('-').map(Number) as [number, number];
  const length = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return Array.from({ length }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
}

/** A call's events as the provider sends them, each with the instant it is sent at. */
export type Sent = { body: CallEventInput; at: number }[];

/** A missed call someone means to return (an employee, or the customer): whom, from when. */
interface Intent {
  customer: string;
  due: number;
  tries: number;
}

/** The earliest promise due at `now`, taken off the list. */
function takeDue(list: Intent[], now: number): Intent | undefined {
  let best = -1;
  for (let i = 0; i < list.length; i++) {
    const p = list[i] as Intent;
    if (p.due <= now && (best < 0 || p.due < (list[best] as Intent).due)) best = i;
  }
  return best < 0 ? undefined : list.splice(best, 1)[0];
}

const SILENT = { debug() {}, warn() {}, error() {} };
const NO_METRICS = { addMetric() {} };

/** One call of the month as the provider sends it: its events, each with the instant it is sent at. */
export interface PlannedCall {
  id: string;
  kind: CallKind;
  sent: Sent;
  /** It never ends: the sweep marks it stuck. */
  stuck: boolean;
}

export interface PlannedMonth {
  calls: PlannedCall[];
  byKind: Partial<Record<CallKind, number>>;
  customers: number;
  /** Draws the month's other choices (arrival delays), after the calls. */
  random: () => number;
}

/** The month's calls as the provider sends them, before anything stores them. */
export function planMonth(options: Pick<MonthOptions, 'calls' | 'month' | 'fold' | 'seed'>): PlannedMonth {
  const random = seeded(options.seed ?? 20261101);
  const { timeZone } = options.fold;
  const between = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  /** Mostly short, sometimes long: an exponential tail above `min`, capped. */
  const tail = (min: number, mean: number, max: number) =>
    Math.min(max, min + Math.round(-mean * Math.log(1 - random())));
  const hex = (digits: number) =>
    Array.from({ length: digits }, () => Math.floor(random() * 16).toString(16)).join('');
  const sessionId = () => `${hex(8)}-${hex(4)}-4${hex(3)}-${'89ab'[between(0, 3)]}${hex(3)}-${hex(12)}`;
  const customers = Array.from(
    { length: Math.max(50, Math.round(options.calls / 4)) },
    () => `9${between(10, 99)}${String(between(0, 9_999_999)).padStart(7, '0')}`,
  );
  const days = daysOfMonth(options.month);
  const perDay = apportion(
    options.calls,
    days.map((d) => WEEKDAYS[new Date(`${d}T12:00:00Z`).getUTCDay()] as number),
  );

  const byKind: Partial<Record<CallKind, number>> = {};
  const callBack = new Map<Line, Intent[]>(LINES.map((l) => [l, []]));
  const callAgain = new Map<Line, Intent[]>(LINES.map((l) => [l, []]));
  const planned: PlannedCall[] = [];

  for (const [d, day] of days.entries()) {
    const starts = Array.from({ length: perDay[d] as number }, () => {
      const hour = weighted(random, [...HOURS.keys()], (h) => HOURS[h] as number);
      const second = between(0, 3599);
      const local = `${day} ${String(hour).padStart(2, '0')}:${String(Math.floor(second / 60)).padStart(2, '0')}:${String(second % 60).padStart(2, '0')}`;
      return Date.parse(localTimeToUtcIso(local, timeZone));
    }).sort((a, b) => a - b);

    for (const start of starts) {
      const id = sessionId();
      const line = weighted(random, LINES, (l) => l.share);
      const t = (seconds: number) => providerTime(new Date(start + seconds * 1000), timeZone);
      const sent: Sent = [];
      const send = (seconds: number, body: CallEventInput) => sent.push({ body, at: start + seconds * 1000 });
      let kind: CallKind;
      let stuck = false;

      if (random() < 0.7) {
        const again = takeDue(callAgain.get(line) as Intent[], start);
        const customer = again?.customer ?? (customers[between(0, customers.length - 1)] as string);
        const parties = (Called: string) => ({
          SessionID: id,
          CityNumber: line.city,
          Caller: customer,
          Called,
        });
        send(0, { HookType: 'CreateIncCall', StartTime: t(0), ...parties(line.city) });
        const rung = shuffled(random, line.staff).slice(0, between(1, 3));
        const parallel = random() < 0.5;
        // When each employee starts ringing, and stops unless they answer.
        const ringAt = rung.map((_, i) => (parallel ? 1 : 1 + 20 * i));
        const roll = random();
        if (roll < (again ? 0.97 : 0.8)) {
          kind = again ? 'customer calling again' : 'answered';
          const who = between(0, rung.length - 1);
          const answeredAt = (ringAt[who] as number) + tail(2, 8, 60);
          const talk = tail(10, 150, 2400);
          rung.forEach((employee, i) => {
            if (!parallel && i > who) return;
            send(ringAt[i] as number, {
              HookType: 'AttemptIncCallBegin',
              StartTime: t(ringAt[i] as number),
              ...parties(employee),
            });
            if (i !== who) {
              const stop = parallel ? answeredAt : (ringAt[i] as number) + 20;
              send(stop, { HookType: 'AttemptIncCallEnd', EndTime: t(stop), ...parties(employee) });
            }
          });
          const answerer = rung[who] as string;
          send(answeredAt, { HookType: 'ChangeIncCall', StartDuration: t(answeredAt), ...parties(answerer) });
          // Now and then the call is transferred to a colleague, who ends it.
          const transferTo = random() < 0.04 ? line.staff.find((e) => e !== answerer) : undefined;
          if (transferTo) {
            const at = answeredAt + Math.floor(talk / 2);
            send(at, { HookType: 'ChangeIncCall', StartDuration: t(at), ...parties(transferTo) });
          }
          const end = answeredAt + talk;
          send(end, {
            HookType: 'EndIncCall',
            EndTime: t(end),
            ...parties(transferTo ?? answerer),
            Duration: talk,
            ResultCode: '200',
          });
        } else if (roll < 0.998 || again) {
          const missed = roll < 0.95 || again;
          kind = missed ? 'missed' : 'busy or failed';
          const end = missed ? between(15, 60) : between(3, 12);
          rung.forEach((employee, i) => {
            const began = ringAt[i] as number;
            if (began >= end) return;
            send(began, { HookType: 'AttemptIncCallBegin', StartTime: t(began), ...parties(employee) });
            const stop = parallel ? end : Math.min(end, began + 20);
            send(stop, { HookType: 'AttemptIncCallEnd', EndTime: t(stop), ...parties(employee) });
          });
          send(end, {
            HookType: missed ? 'MissedIncCall' : 'EndIncCall',
            EndTime: t(end),
            ...parties(missed ? line.city : (rung[0] as string)),
            Duration: 0,
            ResultCode: missed ? '304' : (weighted(random, ['486', '603-S', '480'], () => 1) as string),
          });
          const endedAt = start + end * 1000;
          const next = random();
          if (missed && next < 0.55) {
            // An employee returns it: within minutes, within hours, or on one of the next days.
            const [lo, hi] = weighted(random, CALLBACK_DELAYS, (d) => d[2]);
            (callBack.get(line) as Intent[]).push({
              customer,
              due: endedAt + between(lo, hi) * 1000,
              tries: 0,
            });
          } else if (missed && next < 0.7) {
            (callAgain.get(line) as Intent[]).push({
              customer,
              due: endedAt + between(300, 6 * 3600) * 1000,
              tries: 0,
            });
          }
        } else {
          kind = 'never ended';
          stuck = true;
          send(ringAt[0] as number, {
            HookType: 'AttemptIncCallBegin',
            StartTime: t(ringAt[0] as number),
            ...parties(rung[0] as string),
          });
        }
      } else {
        const returning = takeDue(callBack.get(line) as Intent[], start);
        kind = returning ? 'call-back attempt' : 'outgoing';
        const customer = returning?.customer ?? (customers[between(0, customers.length - 1)] as string);
        const parties = {
          SessionID: id,
          CityNumber: line.city,
          Caller: line.staff[between(0, line.staff.length - 1)] as string,
          // Dialled with the trunk prefix, as employees do.
          Called: `8${customer}`,
        };
        const answered = random() < (returning ? 0.85 : 0.7);
        const ring = answered ? tail(3, 10, 45) : between(5, 40);
        const talk = answered ? tail(10, 120, 1800) : 0;
        send(0, { HookType: 'CreateOutCall', StartTime: t(0), ...parties });
        send(ring + talk, {
          HookType: 'EndOutCall',
          StartTime: t(0),
          EndTime: t(ring + talk),
          ...parties,
          Duration: talk,
          ResultCode: answered ? '200' : (weighted(random, ['486', '480', '603'], () => 1) as string),
        });
        if (returning && !answered && returning.tries < 2) {
          (callBack.get(line) as Intent[]).push({
            ...returning,
            due: start + between(1800, 4 * 3600) * 1000,
            tries: returning.tries + 1,
          });
        }
      }
      byKind[kind] = (byKind[kind] ?? 0) + 1;
      planned.push({ id, kind, sent, stuck });
    }
  }
  return { calls: planned, byKind, customers: customers.length, random };
}

export async function monthOfCalls(options: MonthOptions): Promise<MonthOfCalls> {
  const { timeZone } = options.fold;
  const { calls: planned, byKind, customers, random } = planMonth(options);

  // Stored as the ingest stores them, received a moment after they were sent.
  const store = new MemoryCallsStore();
  let events = 0;
  for (const call of planned) {
    store.addEvents(
      ...call.sent.map(({ body, at }) => {
        const parsed = parseCallEvent(body);
        if (!parsed.ok)
          throw new Error(`The contract rejects a generated event: ${JSON.stringify(parsed.issues)}`);
        events++;
        return toCallEventRecord(parsed.event, {
          timeZone,
          receivedAt: new Date(at + 300 + Math.floor(random() * 700)),
          rawBody: JSON.stringify(body),
          ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {}),
        });
      }),
    );
  }
  // Projected in the order the calls' last events arrived, as the stream would bring them.
  const lastAt = (call: (typeof planned)[number]) => Math.max(...call.sent.map((s) => s.at));
  const deps: ProjectDeps = {
    calls: store,
    events: store,
    fold: options.fold,
    callbackWindowHours: options.callbackWindowHours,
    ...(options.retentionDays !== undefined ? { retentionDays: options.retentionDays } : {}),
    logger: SILENT,
    metrics: NO_METRICS,
  };
  for (const call of [...planned].sort((a, b) => lastAt(a) - lastAt(b))) {
    const { projection } = await projectCall(call.id, deps);
    if (projection !== 'written') throw new Error(`A generated call was not projected (${projection})`);
  }
  // The sweep finds the calls that never ended.
  for (const call of planned.filter((c) => c.stuck)) {
    const stuck = markStuck(store.calls.get(call.id) as StoredCall);
    if (!stuck || !(await store.putCall(stuck, stuck.Version - 1)))
      throw new Error('A call that never ended could not be marked stuck');
  }

  return {
    records: [...store.calls.values()],
    events,
    byKind,
    cityNumbers: LINES.map((l) => l.city),
    employees: LINES.reduce((n, l) => n + l.staff.length, 0),
    customers,
  };
}
