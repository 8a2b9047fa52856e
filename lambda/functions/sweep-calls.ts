/** Scheduled sweep → Calls table: marks calls stuck and settles missed calls a lookup missed; flushes its metrics. */

import { readSweepConfig } from '../calls/config';
import { DynamoDbCallsStore } from '../calls/dynamodb-store';
import { type SweepSummary, sweepCalls } from '../calls/sweep-calls';
import { documentClient } from '../shared/dynamodb';
import { flushMetrics, logger, metrics } from '../shared/observability';

const config = readSweepConfig(process.env);
const store = new DynamoDbCallsStore(documentClient, config.callsTable, { indexes: config.callsIndexes });

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
    flushMetrics();
  }
};
