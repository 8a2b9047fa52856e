/** CallEvents stream → Calls table: adapts the stream batch to `projectCalls` and flushes its metrics. */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { readProjectConfig } from '../calls/config';
import { DynamoDbCallEvents, DynamoDbCallsStore } from '../calls/dynamodb-store';
import { type ProjectDeps, projectCalls } from '../calls/project-calls';
import { documentClient } from '../shared/dynamodb';
import { flushMetrics, logger, metrics } from '../shared/observability';

const config = readProjectConfig(process.env);
const deps: ProjectDeps = {
  calls: new DynamoDbCallsStore(documentClient, config.tables.calls, { indexes: config.callsIndexes }),
  events: new DynamoDbCallEvents(documentClient, config.tables.callEvents),
  fold: config.fold,
  callbackWindowHours: config.callbackWindowHours,
  ...(config.retentionDays !== undefined ? { retentionDays: config.retentionDays } : {}),
  logger,
  metrics,
};

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  try {
    return await projectCalls(event, deps);
  } finally {
    flushMetrics();
  }
};
