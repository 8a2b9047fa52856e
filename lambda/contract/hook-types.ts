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

export interface HookTypeInfo {
  readonly direction: Direction;
  /** Orders events of the same second in lifecycle order (Create 1 … End/Missed 5). */
  readonly rank: number;
  /** Fields holding the event's own time, first present one wins. */
  readonly eventTimeFrom: readonly TimeField[];
  readonly description: string;
}

export const HOOK_TYPE_INFO: Readonly<Record<HookType, HookTypeInfo>> = {
  CreateIncCall: {
    direction: 'incoming',
    rank: 1,
    eventTimeFrom: ['StartTime'],
    description: 'An incoming call reached the public multi-line number.',
  },
  AttemptIncCallBegin: {
    direction: 'incoming',
    rank: 2,
    eventTimeFrom: ['StartTime'],
    description:
      'The call is ringing one employee: one per number in parallel ringing, one per step in sequential ringing.',
  },
  ChangeIncCall: {
    direction: 'incoming',
    rank: 3,
    eventTimeFrom: ['StartDuration'],
    description: 'An employee answered; Called is the number that answered.',
  },
  AttemptIncCallEnd: {
    direction: 'incoming',
    rank: 4,
    eventTimeFrom: ['EndTime'],
    description: 'An employee who was rung did not take the call.',
  },
  EndIncCall: {
    direction: 'incoming',
    rank: 5,
    eventTimeFrom: ['EndTime'],
    description: 'An answered incoming call ended; Duration is the talk time in seconds.',
  },
  MissedIncCall: {
    direction: 'incoming',
    rank: 5,
    eventTimeFrom: ['EndTime'],
    description: 'Nobody answered the incoming call.',
  },
  CreateOutCall: {
    direction: 'outgoing',
    rank: 1,
    eventTimeFrom: ['StartTime'],
    description: 'An outgoing call started.',
  },
  EndOutCall: {
    direction: 'outgoing',
    rank: 5,
    eventTimeFrom: ['EndTime', 'StartTime'],
    description: 'An outgoing call ended.',
  },
};

export function isHookType(value: unknown): value is HookType {
  return typeof value === 'string' && Object.hasOwn(HOOK_TYPE_INFO, value);
}
