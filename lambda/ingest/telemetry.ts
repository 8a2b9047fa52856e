/**
 * What the ingest tells the operator about each request: one EMF count per outcome (also per
 * HookType) and identifiers and reasons only, never the body, a phone number or the token. An
 * event stored (or already stored) is one line: the EMF record itself carries its identifiers
 * (`message`, `requestId`, `SessionID`, `HookType`, `EventKey`), so that the count and the line
 * that says the same are not written twice; a refusal or a failure adds a WARN or ERROR line.
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
  return {
    outcome(outcome, requestId) {
      const hookType = 'hookType' in outcome ? outcome.hookType : undefined;
      metrics.addMetric(METRIC[outcome.kind], MetricUnit.Count, 1);
      // Two dimension sets in the one record: the count by service (what the alarms read), and by
      // service and HookType. Powertools writes the default dimensions alone only when there is no
      // other set, so the first set is named too, empty: the default dimensions (the unit test
      // checks the record as written).
      if (isHookType(hookType)) {
        metrics.addDimensions({});
        metrics.addDimensions({ [METRICS.dimensions.hookType]: hookType });
      }
      log(logger, metrics, outcome, requestId, hookType);
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

function log(
  logger: Logger,
  metrics: Metrics,
  outcome: IngestOutcome,
  requestId: string,
  hookType: string | undefined,
): void {
  switch (outcome.kind) {
    case 'accepted':
    case 'duplicate':
      // Into the EMF record the flush writes (HookType is there as the dimension's value).
      metrics.addMetadata('message', `Call event ${outcome.kind}`);
      metrics.addMetadata('requestId', requestId);
      metrics.addMetadata('SessionID', outcome.sessionId);
      metrics.addMetadata('EventKey', outcome.eventKey);
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
