/**
 * The ingest's surface for the operator tools (scripts/): re-submit a quarantined body through
 * the same tail as the webhook (parse, validate, build the item, conditional write), and read
 * the quarantine's items. Everything else in this folder is the function's own.
 */
export { type StoreResult, storeCallEventText } from './ingest-call-event';
export { DynamoDbCallEventStore, type RejectedCallEvent } from './store';
