/** Scheduled sweep → Calls table: marks calls stuck and settles missed calls a lookup missed; flushes its metrics. */
import { DynamoDbCallsStore } from '../calls/store';
import { type SweepSummary, sweepCalls } from '../calls/sweep-calls';
import { readSweepConfig } from '../calls/sweep-config';
import { documentClient } from '../shared/dynamodb';
import { logger, metrics } from '../shared/observability';

const config = readSweepConfig(process.env);
// The sweep reads and writes the Calls table only.
const store = new DynamoDbCallsStore(documentClient, { calls: config.callsTable });

export const handler = async (): Promise<SweepSummary> => {
  try {
    return await sweepCalls({
      store,
      stuckAfterMinutes: config.stuckAfterMinutes,
      callbackWindowHours: config.callbackWindowHours,
      logger,
      metrics,
    });
  } finally {
    metrics.publishStoredMetrics();
  }
};
