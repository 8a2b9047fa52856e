/** The Calls records as `npm run calls` prints them: a readable summary of one, a line per call of many, and JSON in a stable order. */
import { CALLS_KEYS, type StoredCall } from '../../lambda/calls';

const orNone = (value: string | number | undefined, unit = '') =>
  value === undefined ? '—' : `${value}${unit}`;

/** The customer as people may see them: masked in pseudonymous mode (the number is a pseudonym), else the number. */
export const customerShown = (record: Pick<StoredCall, 'CustomerNumber' | 'CustomerNumberMasked'>) =>
  record.CustomerNumberMasked ?? record.CustomerNumber;

/** Status and outcome in one word: the Outcome once ended, else the Status. */
const stateOf = (record: StoredCall) =>
  record.Status === 'ended' ? (record.Outcome ?? 'ended') : record.Status;

/** A readable summary of one record: what happened, who, when, how long, the ringing, the callback. */
export function formatRecordSummary(record: StoredCall): string {
  const code =
    record.ResultCode === undefined
      ? ''
      : `  (ResultCode ${record.ResultCode}${record.ResultText ? `, ${record.ResultText}` : ''})`;
  const attempts = record.Attempts.map(
    (a) => `${a.Employee} ${a.Answered ? 'answered' : a.EndedAt ? 'not answered' : 'ringing'}`,
  );
  const callback =
    record.CallbackStatus === undefined
      ? []
      : [
          `Callback ${record.CallbackStatus}${record.CallbackSessionID ? ` by ${record.CallbackSessionID} after ${record.CallbackAfterSeconds} s` : ''}`,
        ];
  return [
    `Call ${record.SessionID}  ${record.Direction}  ${record.Status}${record.Outcome ? `  ${record.Outcome}` : ''}${code}`,
    `  Customer ${orNone(customerShown(record))}  Employee ${orNone(record.Employee)}  CityNumber ${record.CityNumber}`,
    `  Started ${record.StartedAt}  Answered ${orNone(record.AnsweredAt)}  Ended ${orNone(record.EndedAt)}`,
    `  Ring ${orNone(record.RingSeconds, ' s')}  Talk ${orNone(record.TalkSeconds, ' s')}  Attempts ${attempts.length}${attempts.length ? `: ${attempts.join(', ')}` : ''}`,
    ...callback.map((line) => `  ${line}`),
    `  Version ${record.Version}  ${record.EventCount} event${record.EventCount === 1 ? '' : 's'}, the last received ${record.LastReceivedAt}`,
  ].join('\n');
}

/** One line per call, in the order given: start, direction, outcome, customer, employee, times, id. */
export function formatRecordList(records: readonly StoredCall[]): string {
  const lines = records.map((r) =>
    [
      r.StartedAt.padEnd(20),
      r.Direction.padEnd(8),
      stateOf(r).padEnd(9),
      orNone(customerShown(r)).padEnd(16),
      `Employee ${orNone(r.Employee)}`.padEnd(24),
      `ring ${orNone(r.RingSeconds, ' s')}`.padEnd(10),
      `talk ${orNone(r.TalkSeconds, ' s')}`.padEnd(10),
      r.SessionID,
    ].join('  '),
  );
  return [`${records.length} call${records.length === 1 ? '' : 's'}`, ...lines].join('\n');
}

/** SessionID first, then the rest alphabetically: DynamoDB returns attributes in no particular order. */
export function orderedRecord(record: StoredCall): Record<string, unknown> {
  const rest = Object.keys(record)
    .filter((key) => key !== CALLS_KEYS.partitionKey)
    .sort();
  const entries = [CALLS_KEYS.partitionKey, ...rest].map((key) => [
    key,
    (record as Record<string, unknown>)[key],
  ]);
  return Object.fromEntries(entries);
}
