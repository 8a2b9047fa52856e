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
