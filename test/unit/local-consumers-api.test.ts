/**
 * Local mode's consumers through the AWS SDK, as the functions and `npm run crm` use them: SQS
 * (send, receive, delete, attributes, a dead-letter queue redriven with StartMessageMoveTask) and
 * the Lambda API of the event source mappings (disabled: no batch taken; the state kept).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  LambdaClient,
  ListEventSourceMappingsCommand,
  UpdateEventSourceMappingCommand,
} from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  StartMessageMoveTaskCommand,
} from '@aws-sdk/client-sqs';
import { LocalQueue } from '../../local/sqs/local-queue';
import { startQueuePoller } from '../../local/sqs/queue-poller';
import { type LocalConsumersServer, startLocalConsumersServer } from '../../local/sqs/server';

const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

function consumer() {
  const dlq = new LocalQueue({ name: 'ConsumerDeadLetterQueue', region });
  const queue = new LocalQueue({
    name: 'ConsumerQueue',
    region,
    visibilityTimeoutSeconds: 0.05,
    deadLetter: { queue: dlq, maxReceiveCount: 2 },
  });
  return { queue, dlq };
}

describe('the SQS API of the local queues', () => {
  let server: LocalConsumersServer;
  let sqs: SQSClient;
  const { queue, dlq } = consumer();
  beforeAll(async () => {
    server = await startLocalConsumersServer({ queues: [queue, dlq], region });
    sqs = new SQSClient({ region, endpoint: server.endpoint, credentials });
  });
  afterAll(async () => {
    sqs.destroy();
    await server.close();
  });

  it('sends, receives with a receipt handle, deletes, and counts', async () => {
    const { QueueUrl } = await sqs.send(new GetQueueUrlCommand({ QueueName: 'ConsumerQueue' }));
    await sqs.send(new SendMessageCommand({ QueueUrl, MessageBody: '{"a":1}' }));
    const { Messages = [] } = await sqs.send(
      new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10 }),
    );
    expect(Messages.map((m) => m.Body)).toEqual(['{"a":1}']);
    const attributes = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['All'] }));
    expect(attributes.Attributes).toMatchObject({
      ApproximateNumberOfMessages: '0',
      ApproximateNumberOfMessagesNotVisible: '1',
      QueueArn: queue.arn,
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: Messages[0]?.ReceiptHandle }));
    expect(queue.counts()).toEqual({ visible: 0, inFlight: 0 });
  });

  it('redrives a dead-letter queue to the queue that sends to it', async () => {
    dlq.send('refused once');
    dlq.send('refused twice');
    await sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlq.arn }));
    expect(dlq.peek()).toEqual([]);
    expect(queue.peek().map((m) => [m.body, m.receiveCount])).toEqual([
      ['refused once', 0],
      ['refused twice', 0],
    ]);
  });

  it('answers an unknown queue as SQS does', async () => {
    await expect(sqs.send(new GetQueueUrlCommand({ QueueName: 'Nope' }))).rejects.toMatchObject({
      name: 'QueueDoesNotExist',
    });
  });
});

describe('the Lambda API of the mappings', () => {
  it('disables a mapping (no batch taken, messages waiting), keeps it disabled across a restart, enables it', async () => {
    const stateFile = join(mkdtempSync(join(tmpdir(), 'mappings-')), 'event-source-mappings.json');
    const { queue, dlq } = consumer();
    const invoked: number[] = [];
    const start = async () => {
      const server = await startLocalConsumersServer({ queues: [queue, dlq], region, stateFile });
      const poller = startQueuePoller({
        queue,
        functionName: 'ConsumerFunction',
        region,
        settings: {
          batchSize: 10,
          maxBatchingWindowMs: 0,
          maxConcurrency: 2,
          reportBatchItemFailures: true,
          enabled: server.keptEnabled('u-1'),
        },
        idlePollMs: 20,
        invoke: async (event) => {
          invoked.push(event.Records.length);
          return {};
        },
      });
      server.addMapping({ uuid: 'u-1', poller, functionName: 'ConsumerFunction' });
      const lambda = new LambdaClient({ region, endpoint: server.endpoint, credentials });
      return {
        poller,
        lambda,
        stop: async () => {
          lambda.destroy();
          await server.close();
          await poller.stop();
        },
      };
    };

    let running = await start();
    const { EventSourceMappings = [] } = await running.lambda.send(
      new ListEventSourceMappingsCommand({ FunctionName: 'ConsumerFunction', EventSourceArn: queue.arn }),
    );
    expect(EventSourceMappings.map((m) => [m.UUID, m.State])).toEqual([['u-1', 'Enabled']]);
    await running.lambda.send(new UpdateEventSourceMappingCommand({ UUID: 'u-1', Enabled: false }));
    queue.send('waits');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(invoked).toEqual([]);
    await running.stop();

    running = await start();
    expect(running.poller.paused()).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(invoked).toEqual([]);
    const updated = await running.lambda.send(
      new UpdateEventSourceMappingCommand({ UUID: 'u-1', Enabled: true }),
    );
    expect(updated.State).toBe('Enabled');
    await running.poller.drained(5_000);
    expect(invoked).toEqual([1]);
    await running.stop();
  });
});
