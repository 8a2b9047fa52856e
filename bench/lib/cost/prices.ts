/**
 * List prices the cost benchmark multiplies its counted units by: one region (US East, N.
 * Virginia, us-east-1), on-demand, first tier, no free tier, as the pricing pages stated them
 * when checked. A price changes: update `CHECKED` and the figure together, and the benchmark's
 * figures follow.
 */
export const REGION = 'us-east-1';
export const CHECKED = '2026-12-04';

export interface Price {
  /** US dollars per `unit`. */
  usd: number;
  unit: string;
  source: string;
}

const p = (usd: number, unit: string, source: string): Price => ({ usd, unit, source });

export const PRICES = {
  restApiRequest: p(
    3.5 / 1e6,
    'REST API request (first 333 M a month)',
    'https://aws.amazon.com/api-gateway/pricing/',
  ),
  httpApiRequest: p(
    1.0 / 1e6,
    'HTTP API request of up to 512 KB (first 300 M a month)',
    'https://aws.amazon.com/api-gateway/pricing/',
  ),
  lambdaRequest: p(0.2 / 1e6, 'Lambda invocation', 'https://aws.amazon.com/lambda/pricing/'),
  lambdaArmGbSecond: p(
    0.0000133334,
    'GB-second of an arm64 function (first 7.5 B GB-s a month)',
    'https://aws.amazon.com/lambda/pricing/',
  ),
  dynamodbWrite: p(
    0.625 / 1e6,
    'DynamoDB on-demand write request unit (1 KB, table or index)',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  ),
  dynamodbRead: p(
    0.125 / 1e6,
    'DynamoDB on-demand read request unit (4 KB strongly consistent, 8 KB eventually)',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  ),
  dynamodbStorage: p(
    0.25,
    'GB-month of DynamoDB Standard storage (items and index copies, 100 bytes each extra)',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  ),
  /** "GetRecords API calls invoked by AWS Lambda as part of DynamoDB triggers are free." */
  streamReadByLambda: p(
    0,
    'DynamoDB Streams read by a Lambda trigger',
    'https://aws.amazon.com/dynamodb/pricing/on-demand/',
  ),
  putEventsEntry: p(
    1.0 / 1e6,
    'EventBridge custom event (each 64 KB chunk of a PutEvents entry)',
    'https://aws.amazon.com/eventbridge/pricing/',
  ),
  archiveGb: p(
    0.1,
    'GB of events processed into an EventBridge archive',
    'https://aws.amazon.com/eventbridge/pricing/',
  ),
  archiveStorage: p(
    0.023,
    'GB-month of EventBridge archive storage',
    'https://aws.amazon.com/eventbridge/pricing/',
  ),
  sqsRequest: p(0.4 / 1e6, 'SQS standard request (each 64 KB chunk)', 'https://aws.amazon.com/sqs/pricing/'),
  secretsManagerCall: p(
    0.05 / 10_000,
    'Secrets Manager API call',
    'https://aws.amazon.com/secrets-manager/pricing/',
  ),
  secretMonth: p(0.4, 'Secrets Manager secret a month', 'https://aws.amazon.com/secrets-manager/pricing/'),
  logsIngestedGb: p(
    0.5,
    'GB of CloudWatch Logs ingested (Standard; Lambda logs: the first 10 TB tier)',
    'https://aws.amazon.com/cloudwatch/pricing/',
  ),
  logsStorage: p(
    0.03,
    'GB-month of CloudWatch Logs stored (compressed)',
    'https://aws.amazon.com/cloudwatch/pricing/',
  ),
  metricMonth: p(
    0.3,
    'CloudWatch custom metric a month (EMF; first 10,000)',
    'https://aws.amazon.com/cloudwatch/pricing/',
  ),
  alarmMonth: p(
    0.1,
    'CloudWatch standard-resolution alarm a month',
    'https://aws.amazon.com/cloudwatch/pricing/',
  ),
  xrayTrace: p(5.0 / 1e6, 'X-Ray trace recorded', 'https://aws.amazon.com/xray/pricing/'),
} as const satisfies Record<string, Price>;

export type PriceName = keyof typeof PRICES;
