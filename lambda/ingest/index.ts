/**
 * The ingest's surface for the tools: re-submit a quarantined body through the same tail as the
 * webhook (parse, validate, build the item, conditional write), read the quarantine's items, and
 * the token check and settings that local mode's front door applies before the function, so that
 * it never holds a body sent without the token. Everything else in this folder is the function's own.
 */
export { presentedToken, tokenMatches } from './auth';
export { type IngestConfig, readIngestConfig } from './config';
export { type StoreResult, storeCallEventText } from './ingest-call-event';
export { DynamoDbCallEventStore, type RejectedCallEvent } from './store';
