/**
 * The settings every stream consumer of the app shares, so that one poison record can never
 * block a shard: partial batch failures, bisect on error, bounded retries and record age, and
 * an on-failure queue that receives pointers to what was given up on.
 */
import { Duration } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { FilterCriteria, FilterRule, StartingPosition } from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';

export interface StreamMappingOptions {
  /** Stream records per invocation. @default 100 */
  readonly batchSize?: number;
  /** How long to gather records before invoking. @default Duration.seconds(1) */
  readonly maxBatchingWindow?: Duration;
  /** Retries of a failing batch (bisected on each) before it goes to the failure queue. @default 8 */
  readonly retryAttempts?: number;
  /** Records older than this go to the failure queue unprocessed. @default Duration.days(1) */
  readonly maxRecordAge?: Duration;
}

/**
 * A mapping of `table`'s stream, only for the given event names (INSERT, MODIFY, REMOVE) and,
 * when given, only for the records whose new image has one of the string values of `newImage`'s
 * attributes (Lambda drops the others before invoking, free of charge).
 */
export function streamMapping(
  table: ITable,
  eventNames: readonly ('INSERT' | 'MODIFY' | 'REMOVE')[],
  onFailure: IQueue,
  options: StreamMappingOptions = {},
  newImage: Record<string, readonly string[]> = {},
): DynamoEventSource {
  const imageFilter = Object.entries(newImage).map(([name, values]) => [
    name,
    { S: FilterRule.or(...values) },
  ]);
  return new DynamoEventSource(table, {
    startingPosition: StartingPosition.TRIM_HORIZON,
    batchSize: options.batchSize ?? 100,
    maxBatchingWindow: options.maxBatchingWindow ?? Duration.seconds(1),
    filters: [
      FilterCriteria.filter({
        eventName: FilterRule.or(...eventNames),
        ...(imageFilter.length > 0 ? { dynamodb: { NewImage: Object.fromEntries(imageFilter) } } : {}),
      }),
    ],
    reportBatchItemFailures: true,
    bisectBatchOnError: true,
    retryAttempts: options.retryAttempts ?? 8,
    maxRecordAge: options.maxRecordAge ?? Duration.days(1),
    onFailure: new SqsDlq(onFailure),
    // parallelizationFactor stays 1: records of one call are handled in the order stored.
  });
}
