/**
 * The call-centre report over Calls records, pure: `callCentreReport(records, options)` gives
 * the object that `npm run report -- --json` prints. The caller reads the records through the
 * Calls table's indexes (`DynamoDbCallsStore.callsOfPeriod`, never a scan) and passes them here;
 * the report itself keeps only the records of the period (by `Day`) and the city number asked
 * for, and one record per SessionID (the highest Version), so an index query that reads a little
 * more, or the same call twice, changes nothing.
 *
 * Every figure is defined in docs/CALLS.md ("The report"). The figures fall in blocks, and each
 * is computed over its block's calls only, so that no figure of one direction is read as one of
 * the other: incoming (`offered` … `avgTalkSeconds`, and `callbacks` of the missed ones),
 * outgoing (`outgoing` … `outgoingAvgTalkSeconds`), both directions (`stuck`), and per employee.
 *
 * A figure that has nothing to be computed over (a rate whose denominator is 0; a mean,
 * percentile or median of no values) is `null`, never 0: a 0 in the report is always measured
 * (0 answered out of 5 is a service level of 0). Counts and sums are never null. Rates and
 * averages are plain numbers, not rounded; every count is an integer.
 */
import type { CallRecord } from '../../lambda/calls';
import { mean, median, percentile } from './stats';

/** `--answer-within`: the service level's threshold, in seconds. */
export const DEFAULT_ANSWER_WITHIN_SECONDS = 20;
const WITHIN_20_MIN = 20 * 60;
const WITHIN_24_H = 24 * 3600;

/**
 * A rate or a statistic: `null` when there was nothing to compute it over, so that a consumer
 * (and the table, which shows `—`) cannot take "no calls" for "a measured 0".
 */
export type Figure = number | null;

export interface ReportOptions {
  /** An answered incoming call is within the service level when rung at most this long. @default 20 */
  answerWithinSeconds?: number;
  /** First local day (`YYYY-MM-DD`, the records' `Day`) of the period; absent: no lower bound. */
  from?: string;
  /** Last local day of the period, inclusive; absent: no upper bound. */
  to?: string;
  /** Only the calls of this city number. */
  cityNumber?: string;
}

/** How the missed incoming calls were resolved; the six counts add up to `missed`. */
export interface CallbackFigures {
  /** Called back at most 20 minutes after the missed call ended. */
  within20min: number;
  /** Called back after more than 20 minutes and at most 24 hours (not cumulative with `within20min`). */
  within24h: number;
  /** Called back after more than 24 hours. */
  later: number;
  customerCalledAgain: number;
  notCalledBack: number;
  pending: number;
  /** Median `CallbackAfterSeconds` of the resolved ones; `null` when none was resolved. */
  medianSeconds: Figure;
}

/** The figures of one city number, or of all of them. */
export interface LineFigures {
  /** Incoming calls, whatever their Status. */
  offered: number;
  answered: number;
  missed: number;
  /** `missed` ÷ `offered`; `null` when nothing was offered. */
  missedRate: Figure;
  /** Answered within the threshold ÷ `offered`; `null` when nothing was offered. */
  serviceLevel: Figure;
  /** Over the answered incoming calls; `null` when none was answered. */
  avgRingSeconds: Figure;
  /** Over the answered incoming calls; `null` when none was answered. */
  p90RingSeconds: Figure;
  /** Over the answered incoming calls only: outgoing talk has its own figure. `null` when none was answered. */
  avgTalkSeconds: Figure;
  callbacks: CallbackFigures;
  /** Outgoing calls, whatever their Status. */
  outgoing: number;
  outgoingAnswered: number;
  /** Over the answered outgoing calls; `null` when none was answered. */
  outgoingAvgTalkSeconds: Figure;
  /** Both directions: a stuck incoming call is also offered, a stuck outgoing one also outgoing. */
  stuck: number;
}

export interface EmployeeFigures {
  rung: number;
  answered: number;
  unanswered: number;
  /** Over their answered attempts; `null` when they answered none (e.g. they only dialled out). */
  avgRingSeconds: Figure;
  /** A sum, so 0 when they talked to nobody: the calls they handled, both directions. */
  talkSeconds: number;
  outgoing: number;
}

export interface CallCentreReport {
  total: LineFigures;
  /** Keyed by city number, in key order. */
  byCityNumber: Record<string, LineFigures>;
  /** Keyed by employee number, in key order. */
  byEmployee: Record<string, EmployeeFigures>;
}

const ratio = (part: number, whole: number): Figure => (whole === 0 ? null : part / whole);

/** A statistic of some values, `null` over none (the shared statistics give 0 there). */
const over = (values: readonly number[], statistic: (values: readonly number[]) => number): Figure =>
  values.length === 0 ? null : statistic(values);

function lineFigures(records: readonly CallRecord[], answerWithinSeconds: number): LineFigures {
  const incoming = records.filter((r) => r.Direction === 'incoming');
  const outgoing = records.filter((r) => r.Direction === 'outgoing');
  const answered = incoming.filter((r) => r.Outcome === 'answered');
  const outgoingAnswered = outgoing.filter((r) => r.Outcome === 'answered');
  const missed = incoming.filter((r) => r.Outcome === 'missed');
  const ring = answered.map((r) => r.RingSeconds ?? 0);
  const talk = (calls: readonly CallRecord[]) => calls.map((r) => r.TalkSeconds ?? 0);
  const calledBack = missed.filter((r) => r.CallbackStatus === 'called-back');
  const calledBackAfter = (test: (seconds: number) => boolean) =>
    calledBack.filter((r) => test(r.CallbackAfterSeconds ?? 0)).length;
  const customerCalledAgain = missed.filter((r) => r.CallbackStatus === 'customer-called-again').length;
  const notCalledBack = missed.filter((r) => r.CallbackStatus === 'not-called-back').length;
  const resolvedAfter = missed
    .filter((r) => r.CallbackStatus === 'called-back' || r.CallbackStatus === 'customer-called-again')
    .map((r) => r.CallbackAfterSeconds ?? 0);
  return {
    offered: incoming.length,
    answered: answered.length,
    missed: missed.length,
    missedRate: ratio(missed.length, incoming.length),
    serviceLevel: ratio(ring.filter((s) => s <= answerWithinSeconds).length, incoming.length),
    avgRingSeconds: over(ring, mean),
    p90RingSeconds: over(ring, (values) => percentile(values, 0.9)),
    avgTalkSeconds: over(talk(answered), mean),
    callbacks: {
      within20min: calledBackAfter((s) => s <= WITHIN_20_MIN),
      within24h: calledBackAfter((s) => s > WITHIN_20_MIN && s <= WITHIN_24_H),
      later: calledBackAfter((s) => s > WITHIN_24_H),
      customerCalledAgain,
      notCalledBack,
      pending: missed.length - calledBack.length - customerCalledAgain - notCalledBack,
      medianSeconds: over(resolvedAfter, median),
    },
    outgoing: outgoing.length,
    outgoingAnswered: outgoingAnswered.length,
    outgoingAvgTalkSeconds: over(talk(outgoingAnswered), mean),
    stuck: records.filter((r) => r.Status === 'stuck').length,
  };
}

function employeeFigures(records: readonly CallRecord[]): Record<string, EmployeeFigures> {
  const tallies = new Map<
    string,
    { rung: number; answered: number; ring: number[]; talk: number; outgoing: number }
  >();
  const of = (employee: string) => {
    let tally = tallies.get(employee);
    if (!tally) {
      tally = { rung: 0, answered: 0, ring: [], talk: 0, outgoing: 0 };
      tallies.set(employee, tally);
    }
    return tally;
  };
  for (const record of records) {
    for (const attempt of record.Attempts) {
      const tally = of(attempt.Employee);
      tally.rung++;
      if (!attempt.Answered) continue;
      tally.answered++;
      if (attempt.EndedAt !== undefined)
        tally.ring.push(Math.max(0, (Date.parse(attempt.EndedAt) - Date.parse(attempt.BeganAt)) / 1000));
    }
    if (record.Employee !== undefined) {
      const tally = of(record.Employee);
      tally.talk += record.TalkSeconds ?? 0;
      if (record.Direction === 'outgoing') tally.outgoing++;
    }
  }
  return Object.fromEntries(
    [...tallies.keys()].sort().map((employee) => {
      const t = tallies.get(employee) as NonNullable<ReturnType<typeof tallies.get>>;
      return [
        employee,
        {
          rung: t.rung,
          answered: t.answered,
          unanswered: t.rung - t.answered,
          avgRingSeconds: over(t.ring, mean),
          talkSeconds: t.talk,
          outgoing: t.outgoing,
        },
      ];
    }),
  );
}

/** The records the report counts: in the period and city asked for, the latest Version of each call. */
function selected(records: Iterable<CallRecord>, options: ReportOptions): CallRecord[] {
  const latest = new Map<string, CallRecord>();
  for (const record of records) {
    if (options.from !== undefined && record.Day < options.from) continue;
    if (options.to !== undefined && record.Day > options.to) continue;
    if (options.cityNumber !== undefined && record.CityNumber !== options.cityNumber) continue;
    const seen = latest.get(record.SessionID);
    if (!seen || seen.Version < record.Version) latest.set(record.SessionID, record);
  }
  return [...latest.values()];
}

/** The call-centre report of these records; docs/CALLS.md ("The report") defines each figure. */
export function callCentreReport(
  records: Iterable<CallRecord>,
  options: ReportOptions = {},
): CallCentreReport {
  const answerWithin = options.answerWithinSeconds ?? DEFAULT_ANSWER_WITHIN_SECONDS;
  const calls = selected(records, options);
  const cities = [...new Set(calls.map((r) => r.CityNumber))].sort();
  return {
    total: lineFigures(calls, answerWithin),
    byCityNumber: Object.fromEntries(
      cities.map((city) => [
        city,
        lineFigures(
          calls.filter((r) => r.CityNumber === city),
          answerWithin,
        ),
      ]),
    ),
    byEmployee: employeeFigures(calls),
  };
}
