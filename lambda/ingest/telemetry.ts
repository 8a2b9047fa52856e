/**
 * What the ingest tells the operator about each request: one EMF count per outcome (also per
 * HookType) and one log line with identifiers and reasons only, never the body, a phone number
 * or the token.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { type Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS } from '../config/metrics';
import { isHookType } from '../contract/hook-types';
import type { IngestOutcome } from './ingest-call-event';

const METRIC: Record<IngestOutcome['kind'], string> = {
  accepted: METRICS.ingest.accepted,
  duplicate: METRICS.ingest.duplicate,
  rejected: METRICS.ingest.rejected,
  'too-large': METRICS.ingest.rejected,
  unauthorized: METRICS.ingest.unauthorized,
  unavailable: METRICS.ingest.storageUnavailable,
};

export interface IngestTelemetry {
  /** Counts and logs what became of one request. */
  outcome(outcome: IngestOutcome, requestId: string): void;
  /** Counts and logs a failure nobody planned for (answered 500). */
  unexpected(error: unknown, requestId: string): void;
  /** Writes the invocation's metrics; call once per invocation. */
  flush(): void;
}

export function ingestTelemetry(logger: Logger, metrics: Metrics): IngestTelemetry {
  // Made once: `singleMetric()` builds a new Metrics (and Console) on every call; a single-metric
  // instance clears its dimensions after each flush, so reusing it is the same.
  const byHookType = metrics.singleMetric();
  return {
    outcome(outcome, requestId) {
      const hookType = 'hookType' in outcome ? outcome.hookType : undefined;
      const name = METRIC[outcome.kind];
      metrics.addMetric(name, MetricUnit.Count, 1);
      if (isHookType(hookType)) {
        byHookType.addDimension(METRICS.dimensions.hookType, hookType).addMetric(name, MetricUnit.Count, 1);
      }
      log(logger, outcome, requestId, hookType);
    },
    unexpected(error, requestId) {
      metrics.addMetric(METRICS.ingest.error, MetricUnit.Count, 1);
      logger.error('Unexpected ingest failure', { requestId, error: error as Error });
    },
    flush() {
      metrics.publishStoredMetrics();
    },
  };
}

function log(logger: Logger, outcome: IngestOutcome, requestId: string, hookType: string | undefined): void {
  switch (outcome.kind) {
    case 'accepted':
    case 'duplicate':
      logger.info(`Call event ${outcome.kind}`, {
        requestId,
        SessionID: outcome.sessionId,
        HookType: outcome.hookType,
        EventKey: outcome.eventKey,
      });
      return;
    case 'rejected':
      logger.warn('Call event rejected and quarantined', {
        requestId,
        reason: outcome.reason,
        HookType: hookType,
        // Paths only: a JSON parser's message may quote the body.
        issuePaths: outcome.issues.map((issue) => issue.path),
      });
      return;
    case 'too-large':
      logger.warn('Call event over the size limit, quarantined truncated', {
        requestId,
        limitBytes: outcome.limit,
        receivedBytes: outcome.receivedBytes,
        declaredBytes: outcome.declaredBytes,
      });
      return;
    case 'unauthorized':
      logger.warn('Webhook request without a valid token', { requestId });
      return;
    case 'unavailable':
      logger.error('Storage unavailable; asked the provider to retry', {
        requestId,
        error: outcome.cause as Error,
      });
      return;
  }
}
