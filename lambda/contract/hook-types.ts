/**
 * Facts about each HookType that the contract, the event key and the stack all share:
 * the call direction, the lifecycle rank used to order same-second events, and which
 * field carries the event's own time.
 */
export const HOOK_TYPES = [
  'CreateIncCall',
  'AttemptIncCallBegin',
  'ChangeIncCall',
  'AttemptIncCallEnd',
  'EndIncCall',
  'MissedIncCall',
  'CreateOutCall',
  'EndOutCall',
] as const;

export type HookType = (typeof HOOK_TYPES)[number];
export type Direction = 'incoming' | 'outgoing';
export type TimeField = 'StartTime' | 'StartDuration' | 'EndTime';

/** The three End events share one field list in the spec ("same as EndIncCall"). */
const END_FIELDS = [
  'SessionID',
  'HookType',
  'StartTime',
  'EndTime',
  'Duration',
  'ResultCode',
  'CityNumber',
  'Caller',
  'Called',
] as const;

/**
 * The fields the provider's spec defines for each HookType (its table of fields). The zod
 * schema of each HookType must have exactly these keys (schema.ts checks it at compile time),
 * and an event's identity, the EventKey digest, covers only these.
 */
export const SPEC_FIELDS = {
  CreateIncCall: ['SessionID', 'HookType', 'StartTime', 'CityNumber', 'Caller', 'Called', 'Redirecting'],
  AttemptIncCallBegin: ['SessionID', 'HookType', 'StartTime', 'CityNumber', 'Caller', 'Called'],
  ChangeIncCall: ['SessionID', 'HookType', 'StartDuration', 'CityNumber', 'Caller', 'Called'],
  AttemptIncCallEnd: ['SessionID', 'HookType', 'StartTime', 'EndTime', 'CityNumber', 'Caller', 'Called'],
  EndIncCall: END_FIELDS,
  MissedIncCall: END_FIELDS,
  CreateOutCall: ['SessionID', 'HookType', 'StartTime', 'CityNumber', 'Caller', 'Called'],
  EndOutCall: END_FIELDS,
} as const satisfies Record<(typeof HOOK_TYPES)[number], readonly string[]>;

export type SpecField<T extends HookType> = (typeof SPEC_FIELDS)[T][number];

export interface HookTypeInfo {
  readonly direction: Direction;
  /** Orders events of the same second in lifecycle order (Create 1 … End/Missed 5). */
  readonly rank: number;
  /**
   * True for the ringing phase (AttemptIncCallBegin, ChangeIncCall, AttemptIncCallEnd): in
   * sequential ringing one employee's attempt ends and the next one's begins in the same
   * second, so their ranks mislead; a timeline orders these by arrival (see compareTimeline).
   */
  readonly orderedByArrival: boolean;
  /** Fields holding the event's own time, first present one wins. */
  readonly eventTimeFrom: readonly TimeField[];
  readonly description: string;
}

export const HOOK_TYPE_INFO: Readonly<Record<HookType, HookTypeInfo>> = {
  CreateIncCall: {
    direction: 'incoming',
    rank: 1,
    orderedByArrival: false,
    eventTimeFrom: ['StartTime'],
    description: 'An incoming call reached the public multi-line number.',
  },
  AttemptIncCallBegin: {
    direction: 'incoming',
    rank: 2,
    orderedByArrival: true,
    eventTimeFrom: ['StartTime'],
    description:
      'The call is ringing one employee: one per number in parallel ringing, one per step in sequential ringing.',
  },
  ChangeIncCall: {
    direction: 'incoming',
    rank: 3,
    orderedByArrival: true,
    eventTimeFrom: ['StartDuration'],
    description: 'An employee answered; Called is the number that answered.',
  },
  AttemptIncCallEnd: {
    direction: 'incoming',
    rank: 4,
    orderedByArrival: true,
    eventTimeFrom: ['EndTime'],
    description: 'An employee who was rung did not take the call.',
  },
  EndIncCall: {
    direction: 'incoming',
    rank: 5,
    orderedByArrival: false,
    eventTimeFrom: ['EndTime'],
    description: 'An answered incoming call ended; Duration is the talk time in seconds.',
  },
  MissedIncCall: {
    direction: 'incoming',
    rank: 5,
    orderedByArrival: false,
    eventTimeFrom: ['EndTime'],
    description: 'Nobody answered the incoming call.',
  },
  CreateOutCall: {
    direction: 'outgoing',
    rank: 1,
    orderedByArrival: false,
    eventTimeFrom: ['StartTime'],
    description: 'An outgoing call started.',
  },
  EndOutCall: {
    direction: 'outgoing',
    rank: 5,
    orderedByArrival: false,
    eventTimeFrom: ['EndTime', 'StartTime'],
    description: 'An outgoing call ended.',
  },
};

export function isHookType(value: unknown): value is HookType {
  return typeof value === 'string' && Object.hasOwn(HOOK_TYPE_INFO, value);
}
