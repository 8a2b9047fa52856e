/**
 * Structured JSON logs and EMF metrics (Powertools). Log call identifiers and HookTypes,
 * never phone numbers, bodies or tokens.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { METRICS } from '../config/metrics';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME ?? METRICS.service;

export const logger = new Logger({ serviceName });
export const metrics = new Metrics({
  serviceName,
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? METRICS.namespace,
});

/**
 * Writes this invocation's EMF record, if it counted anything: an invocation that counted only
 * zeros (lambda/shared/counts.ts) writes no line at all, where Powertools would log a warning.
 */
export function flushMetrics(): void {
  if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
}
