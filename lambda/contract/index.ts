/**
 * The facts that the runtime, the stack and the local tools share: the contract, the
 * HookTypes, the key format. No AWS SDK here, so `lib/` may import it.
 */
export * from './call-event-record';
export * from './call-record';
export * from './hook-types';
export * from './json-schemas';
export * from './local-time';
export * from './result-codes';
export * from './schema';
export * from './service-attributes';
