/**
 * The provider's contract: its fields and tolerant-reader rules (zod), the HookTypes, times, result
 * codes, and the stored item and its EventKey. No AWS SDK here, so `lib/` may import it.
 */
export * from './call-event-record';
export type { FieldWording } from './describe';
export * from './hook-types';
export { issueText, REQUEST_BODY } from './issues';
export * from './json-schemas';
export * from './local-time';
export * from './result-codes';
export * from './schema';
export * from './service-attributes';
