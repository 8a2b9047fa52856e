/**
 * The call-centre report over Calls records, pure: `callCentreReport(records, options)` gives
 * the object that `npm run report -- --json` prints. The caller reads the records through the
 * Calls table's indexes (`DynamoDbCallsStore.callsOfPeriod`, never a scan) and passes them here; the report itself keeps only the records of the period
 * (by `Day`) and the city number asked for, and one record per SessionID (the highest
 * Version), so an index query that reads a little more, or the same call twice, changes nothing.
 *
 * What counts (docs/CALLS.md, "The report"), per city number and in total:
 * - `offered`: incoming calls, whatever their Status (open, ended or stuck);
 * - `answered`: incoming calls with Outcome `answered`;
 * - `missed`: incoming calls with Outcome `missed`, the calls the callback rule applies to.
 *   Incoming calls that ended `busy`, `declined`, `cancelled` or `failed`, and open or stuck
 *   ones, are offered but neither answered nor missed;
 * - `missedRate` = missed ÷ offered; `serviceLevel` = incoming answered with
 *   `RingSeconds` ≤ answer-within ÷ offered; both 0 when nothing was offered;
 * - `avgRingSeconds`, `p90RingSeconds`: `RingSeconds` of the answered incoming calls;
 *   `avgTalkSeconds`: `TalkSeconds` of the answered calls, both directions;
 * - `outgoing`: outgoing calls, whatever their Status; `outgoingAnswered`: Outcome `answered`;
 * - `stuck`: calls with Status `stuck`, both directions;
 * - `callbacks`, over the missed incoming calls: `called-back` ones by `CallbackAfterSeconds`
 *   (`within20min` ≤ 1200 s, `within24h` ≤ 86 400 s, `later` beyond), `customerCalledAgain`,
 *   `notCalledBack` (the window passed with no resolver), `pending` the rest (so the six add up
 *   to `missed`), `medianSeconds` the median
 *   `CallbackAfterSeconds` of the resolved ones, both kinds.
 * Per employee (the number as sent), over the same records:
 * - `rung`: their attempts (`Attempts` entries); `answered`: those answered (`Answered`);
 *   `unanswered`: the others, so `rung` = `answered` + `unanswered`;
 * - `avgRingSeconds`: over their answered attempts, `EndedAt` − `BeganAt` (an answered
 *   attempt ends when it is answered: for the employee who took the call, the record's
 *   `AnsweredAt`);
 * - `talkSeconds`: the sum of `TalkSeconds` of the calls they handled (`Employee`), both
 *   directions; `outgoing`: the outgoing calls they dialled.
 * Averages are arithmetic means; a percentile is by nearest rank (the ⌈0.9·n⌉-th smallest);
 * a median of an even count is the mean of the two middle values; each is 0 over no values.
 * Rates and averages are plain numbers, not rounded; every count is an integer.
 */
import type { CallRecord } from '../../lambda/calls';
import { mean, median, percentile } from './stats';

/** `--answer-within`: the service level's threshold, in seconds. */
export const DEFAULT_ANSWER_WITHIN_SECONDS = 20;
const WITHIN_20_MIN = 20 * 60;
const WITHIN_24_H = 24 * 3600;

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

export interface CallbackFigures {
  within20min: number;
  within24h: number;
  later: number;
  customerCalledAgain: number;
  notCalledBack: number;
  pending: number;
  medianSeconds: number;
}

export interface LineFigures {
  offered: number;
  answered: number;
  missed: number;
  missedRate: number;
  serviceLevel: number;
  avgRingSeconds: number;
  p90RingSeconds: number;
  avgTalkSeconds: number;
  outgoing: number;
  outgoingAnswered: number;
  stuck: number;
  callbacks: CallbackFigures;
}

export interface EmployeeFigures {
  rung: number;
  answered: number;
  unanswered: number;
  avgRingSeconds: number;
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

const ratio = (part: number, whole: number) => (whole === 0 ? 0 : part / whole);

function lineFigures(records: readonly CallRecord[], answerWithinSeconds: number): LineFigures {
  const incoming = records.filter((r) => r.Direction === 'incoming');
  const outgoing = records.filter((r) => r.Direction === 'outgoing');
  const answered = incoming.filter((r) => r.Outcome === 'answered');
  const missed = incoming.filter((r) => r.Outcome === 'missed');
  const ring = answered.map((r) => r.RingSeconds ?? 0);
  const talk = records.filter((r) => r.Outcome === 'answered').map((r) => r.TalkSeconds ?? 0);
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
    avgRingSeconds: mean(ring),
    p90RingSeconds: percentile(ring, 0.9),
    avgTalkSeconds: mean(talk),
    outgoing: outgoing.length,
    outgoingAnswered: outgoing.filter((r) => r.Outcome === 'answered').length,
    stuck: records.filter((r) => r.Status === 'stuck').length,
    callbacks: {
      within20min: calledBackAfter((s) => s <= WITHIN_20_MIN),
      within24h: calledBackAfter((s) => s > WITHIN_20_MIN && s <= WITHIN_24_H),
      later: calledBackAfter((s) => s > WITHIN_24_H),
      customerCalledAgain,
      notCalledBack,
      pending: missed.length - calledBack.length - customerCalledAgain - notCalledBack,
      medianSeconds: median(resolvedAfter),
    },
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
          avgRingSeconds: mean(t.ring),
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

/** The call-centre report of these records (see the module's doc for what each figure counts). */
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
