/** DynamoDB stream → EventBridge: adapts the stream batch to `publishCallEvents` and flushes its metrics. */
import { PutEventsCommand } from '@aws-sdk/client-eventbridge';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { readPublishConfig } from '../publish/config';
import { publishCallEvents, type StreamPublishDeps } from '../publish/publish-call-events';
import { eventBridge } from '../shared/eventbridge';
import { flushMetrics, logger, metrics } from '../shared/observability';

const deps: StreamPublishDeps = {
  ...readPublishConfig(process.env),
  putEvents: (entries) => eventBridge.send(new PutEventsCommand({ Entries: entries })),
  logger,
  metrics,
};

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  try {
    return await publishCallEvents(event, deps);
  } finally {
    flushMetrics();
  }
};
