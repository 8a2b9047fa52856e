/**
 * The calls layer's surface for the tools (scripts/, local/, bench/): the Calls table's one read
 * model and the events' reader, the in-memory stand-in the bench projects a month into, the
 * projector and the stuck-call mark as the functions apply them, the customer's number, local
 * periods, the record's types, and the upgrade of the table's indexes as the tools see it. The
 * functions' handlers import the modules they need directly; everything else here is the layer's own.
 */

export { type CountryCode, customerNumber, maskedNumber, mentionsNumber } from '../shared/phone';
export { CALL_LEVEL_EVENTS, type CallLevelEvent, callLevelEvents } from './call-level-events';
export { readProjectConfig } from './config';
export { DynamoDbCallEvents, DynamoDbCallsStore, type PeriodQuery, type ReadOptions } from './dynamodb-store';
export type { FoldOptions } from './fold-call';
export { readableIndexes, stepOfIndexes, UPGRADE_STEPS } from './index-upgrade';
export { MemoryCallsStore } from './memory-store';
export { datesOf, isLocalDate, localPeriod, type UtcRange } from './period';
export { type ProjectDeps, projectCall } from './project-calls';
export type { CallAttempt, CallbackStatus, CallOutcome, CallRecord, CallStatus } from './record';
export type { StoredCall } from './store';
export { markStuck } from './stuck';
export { CALLS_INDEXES, CALLS_KEYS, CALLS_SPARSE_INDEXES } from './table';
