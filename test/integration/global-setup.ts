/** Starts one in-memory DynamoDB Local for the integration tier; tests create their own tables in it. */
import { LOCAL_AWS_ENV, startDynamoDbLocal } from '../../local/dynamodb-local';

export default async function globalSetup(): Promise<void> {
  const ddb = await startDynamoDbLocal({ inMemory: true });
  (globalThis as { __dynamoDbLocal?: typeof ddb }).__dynamoDbLocal = ddb;
  Object.assign(process.env, LOCAL_AWS_ENV, {
    // The functions' logs and metrics are asserted in the unit tier; here they would only be noise.
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
    AWS_ENDPOINT_URL_DYNAMODB: ddb.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB_STREAMS: ddb.endpoint,
  });
}
