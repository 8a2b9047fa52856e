/** CallEvents stream → Calls table: adapts the stream batch to `projectCalls` and flushes its metrics. */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { readProjectConfig } from '../calls/config';
import { type ProjectDeps, projectCalls } from '../calls/project-calls';
import { DynamoDbCallsStore } from '../calls/store';
import { documentClient } from '../shared/dynamodb';
import { logger, metrics } from '../shared/observability';

const config = readProjectConfig(process.env);
const deps: ProjectDeps = {
  store: new DynamoDbCallsStore(documentClient, config.tables),
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
    metrics.publishStoredMetrics();
  }
};
