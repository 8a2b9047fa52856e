/**
 * Local mode's consumers, reachable with the AWS SDK and CLI as on AWS: the SQS API of the local
 * queues (AWS JSON 1.0, `X-Amz-Target: AmazonSQS.<Action>`) and the Lambda API of their event
 * source mappings (REST, `/2015-03-31/event-source-mappings`). A function points its SQS and
 * Lambda clients here (`AWS_ENDPOINT_URL_SQS`, `AWS_ENDPOINT_URL_LAMBDA`), and so do the tools
 * (`npm run crm -- redeliver`, `resume`). Listens on 127.0.0.1 only.
 *
 * SQS: GetQueueUrl, ListQueues, GetQueueAttributes, SendMessage, ReceiveMessage, DeleteMessage,
 * ChangeMessageVisibility, StartMessageMoveTask (a dead-letter queue redriven to its source).
 * Lambda: ListEventSourceMappings, GetEventSourceMapping, UpdateEventSourceMapping (`Enabled`:
 * a mapping disabled takes no batch, its messages wait). A mapping's state is kept across restarts.
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFileAtomic } from '../state-file';
import type { LocalQueue } from './local-queue';
import type { QueuePoller } from './queue-poller';

const LOCAL_ACCOUNT = '000000000000';

/** One SQS event source mapping, as the Lambda API names it. */
export interface LocalMapping {
  uuid: string;
  poller: QueuePoller;
  functionName: string;
}

export interface LocalConsumersServerOptions {
  queues: readonly LocalQueue[];
  region: string;
  /** Where each mapping's `Enabled` is kept (UUID → boolean). @default memory only */
  stateFile?: string;
  /** @default 0: a free port */
  port?: number;
}

export interface LocalConsumersServer {
  endpoint: string;
  /** Whether the mapping was left enabled (true for one never disabled): start its poller so. */
  keptEnabled(uuid: string): boolean;
  /** Makes a mapping known to the Lambda API. */
  addMapping(mapping: LocalMapping): void;
  close(): Promise<void>;
}

class ApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

const functionArn = (region: string, name: string) =>
  `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}`;

export async function startLocalConsumersServer(
  options: LocalConsumersServerOptions,
): Promise<LocalConsumersServer> {
  const { region } = options;
  const byName = new Map(options.queues.map((q) => [q.name, q]));
  const byArn = new Map(options.queues.map((q) => [q.arn, q]));
  let endpoint = '';
  const urlOf = (q: LocalQueue) => `${endpoint}/${LOCAL_ACCOUNT}/${q.name}`;
  const queueOf = (url: unknown): LocalQueue => {
    const name = typeof url === 'string' ? url.split('/').at(-1) : undefined;
    const q = name ? byName.get(name) : undefined;
    if (!q)
      throw new ApiError('AWS.SimpleQueueService.NonExistentQueue', 'The specified queue does not exist.');
    return q;
  };
  /** The queues whose redrive policy sends to `dlq`. */
  const sourcesOf = (dlq: LocalQueue) => options.queues.filter((q) => q.deadLetter?.queue === dlq);

  const sqs: Record<string, (body: Record<string, unknown>) => object> = {
    GetQueueUrl: (b) => ({ QueueUrl: urlOf(queueOf(String(b.QueueName))) }),
    ListQueues: (b) => ({
      QueueUrls: options.queues
        .filter((q) => typeof b.QueueNamePrefix !== 'string' || q.name.startsWith(b.QueueNamePrefix))
        .map(urlOf),
    }),
    GetQueueAttributes: (b) => {
      const q = queueOf(b.QueueUrl);
      const { visible, inFlight } = q.counts();
      const all: Record<string, string> = {
        QueueArn: q.arn,
        ApproximateNumberOfMessages: String(visible),
        ApproximateNumberOfMessagesNotVisible: String(inFlight),
        VisibilityTimeout: String(q.visibilityTimeoutSeconds),
        ...(q.deadLetter
          ? {
              RedrivePolicy: JSON.stringify({
                deadLetterTargetArn: q.deadLetter.queue.arn,
                maxReceiveCount: q.deadLetter.maxReceiveCount,
              }),
            }
          : {}),
      };
      const names = Array.isArray(b.AttributeNames) ? (b.AttributeNames as string[]) : ['All'];
      return {
        Attributes: names.includes('All')
          ? all
          : Object.fromEntries(names.flatMap((n) => (n in all ? [[n, all[n]]] : []))),
      };
    },
    SendMessage: (b) => {
      if (typeof b.MessageBody !== 'string' || b.MessageBody === '')
        throw new ApiError('MissingParameter', 'The request must contain the parameter MessageBody.');
      const q = queueOf(b.QueueUrl);
      const id = q.send(b.MessageBody);
      const sent = q.peek().find((m) => m.messageId === id);
      return { MessageId: id, MD5OfMessageBody: sent?.md5OfBody };
    },
    ReceiveMessage: (b) => {
      const q = queueOf(b.QueueUrl);
      const max = Math.min(10, Math.max(1, Number(b.MaxNumberOfMessages ?? 1)));
      const timeout = b.VisibilityTimeout === undefined ? undefined : Number(b.VisibilityTimeout);
      return {
        Messages: q.receive(max, timeout).map((m) => ({
          MessageId: m.messageId,
          ReceiptHandle: m.receiptHandle,
          MD5OfBody: m.md5OfBody,
          Body: m.body,
          Attributes: {
            ApproximateReceiveCount: String(m.receiveCount),
            SentTimestamp: String(m.sentTimestamp),
            ApproximateFirstReceiveTimestamp: String(m.firstReceiveTimestamp ?? m.sentTimestamp),
          },
        })),
      };
    },
    DeleteMessage: (b) => {
      queueOf(b.QueueUrl).delete(String(b.ReceiptHandle));
      return {};
    },
    ChangeMessageVisibility: (b) => {
      if (!queueOf(b.QueueUrl).changeVisibility(String(b.ReceiptHandle), Number(b.VisibilityTimeout)))
        throw new ApiError('ReceiptHandleIsInvalid', 'The receipt handle is not valid for this message.');
      return {};
    },
    StartMessageMoveTask: (b) => {
      const dlq = typeof b.SourceArn === 'string' ? byArn.get(b.SourceArn) : undefined;
      if (!dlq)
        throw new ApiError(
          'ResourceNotFoundException',
          'The resource that you specified for the SourceArn parameter doesn\u2019t exist.',
        );
      const destination =
        typeof b.DestinationArn === 'string'
          ? byArn.get(b.DestinationArn)
          : sourcesOf(dlq).length === 1
            ? sourcesOf(dlq)[0]
            : undefined;
      if (!destination)
        throw new ApiError(
          'InvalidParameterValue',
          'No single source queue redrives to this queue: give DestinationArn.',
        );
      const moved = dlq.moveAllTo(destination);
      return { TaskHandle: Buffer.from(JSON.stringify({ id: randomUUID(), moved })).toString('base64') };
    },
  };

  const enabled: Record<string, boolean> = {};
  if (options.stateFile) {
    try {
      Object.assign(enabled, JSON.parse(readFileSync(options.stateFile, 'utf8')));
    } catch {
      // None yet.
    }
  }
  const mappings: LocalMapping[] = [];
  const mappingJson = (m: LocalMapping) => ({
    UUID: m.uuid,
    EventSourceArn: m.poller.queue.arn,
    FunctionArn: functionArn(region, m.functionName),
    State: m.poller.paused() ? 'Disabled' : 'Enabled',
    BatchSize: m.poller.settings.batchSize,
    MaximumBatchingWindowInSeconds: m.poller.settings.maxBatchingWindowMs / 1000,
    FunctionResponseTypes: m.poller.settings.reportBatchItemFailures ? ['ReportBatchItemFailures'] : [],
    ScalingConfig: { MaximumConcurrency: m.poller.settings.maxConcurrency },
    LastModified: Math.floor(Date.now() / 1000),
  });
  const mappingOf = (uuid: string) => {
    const m = mappings.find((x) => x.uuid === uuid);
    if (!m)
      throw new ApiError(
        'ResourceNotFoundException',
        `The resource you requested does not exist. (UUID ${uuid})`,
        404,
      );
    return m;
  };
  const matchesFunction = (m: LocalMapping, name: string | null) =>
    name === null || name === m.functionName || name === functionArn(region, m.functionName);

  async function lambda(req: IncomingMessage, url: URL, body: string): Promise<object> {
    const path = url.pathname.replace(/\/+$/, '');
    if (path === '/2015-03-31/event-source-mappings' && req.method === 'GET') {
      const fn = url.searchParams.get('FunctionName');
      const source = url.searchParams.get('EventSourceArn');
      return {
        EventSourceMappings: mappings
          .filter((m) => matchesFunction(m, fn) && (source === null || m.poller.queue.arn === source))
          .map(mappingJson),
      };
    }
    const uuid = /^\/2015-03-31\/event-source-mappings\/([^/]+)$/.exec(path)?.[1];
    if (uuid && req.method === 'GET') return mappingJson(mappingOf(decodeURIComponent(uuid)));
    if (uuid && req.method === 'PUT') {
      const m = mappingOf(decodeURIComponent(uuid));
      const update = (body ? JSON.parse(body) : {}) as { Enabled?: unknown };
      if (typeof update.Enabled === 'boolean') {
        if (update.Enabled) m.poller.resume();
        else m.poller.pause();
        enabled[m.uuid] = update.Enabled;
        if (options.stateFile) writeFileAtomic(options.stateFile, JSON.stringify(enabled));
      }
      return mappingJson(m);
    }
    throw new ApiError(
      'UnknownOperationException',
      `${req.method} ${path} is not supported by local mode's Lambda API`,
      404,
    );
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      const e =
        error instanceof ApiError
          ? error
          : new ApiError('InternalFailure', 'Internal error in local mode', 500);
      if (!(error instanceof ApiError)) console.error('local SQS/Lambda API: unexpected error', error);
      send(res, e.status, { __type: e.type, message: e.message }, { 'x-amzn-ErrorType': e.type });
    });
  });
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (url.pathname.startsWith('/2015-03-31/')) {
      send(res, 200, await lambda(req, url, body), {}, 'application/json');
      return;
    }
    const target = req.headers['x-amz-target'];
    const action = typeof target === 'string' && target.startsWith('AmazonSQS.') ? target.slice(10) : '';
    const run = req.method === 'POST' && Object.hasOwn(sqs, action) ? sqs[action] : undefined;
    if (!run)
      throw new ApiError(
        'UnsupportedOperation',
        `Operation ${String(target)} is not supported by local mode's SQS`,
      );
    let input: Record<string, unknown>;
    try {
      input = (body ? JSON.parse(body) : {}) as Record<string, unknown>;
    } catch {
      throw new ApiError('InvalidParameterValue', 'The request body is not JSON.');
    }
    send(res, 200, run(input));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', resolve);
  });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    keptEnabled: (uuid) => enabled[uuid] !== false,
    addMapping(mapping) {
      mappings.push(mapping);
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function send(
  res: ServerResponse,
  status: number,
  body: object,
  headers: Record<string, string> = {},
  contentType = 'application/x-amz-json-1.0',
): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': contentType, 'x-amzn-RequestId': randomUUID(), ...headers });
  res.end(JSON.stringify(body));
}
