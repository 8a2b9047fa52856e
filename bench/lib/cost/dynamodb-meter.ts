/**
 * A meter in front of DynamoDB Local for the cost benchmark: every request the functions make
 * passes through it, asks DynamoDB Local for its consumed capacity by table and index
 * (`ReturnConsumedCapacity: INDEXES`), and adds it up; the answer goes back as the function
 * would have had it (the capacity left out unless it asked). DynamoDB Local reports what DynamoDB
 * bills on-demand: a write unit per 1 KB of each item written to the table and to every index
 * whose projection the write changes, a read unit per 4 KB read (half for an eventually
 * consistent read). A conditional write that fails is billed too but answered with no capacity:
 * counted here from the item sent (PutItem), or as one unit (UpdateItem, DeleteItem).
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Capacity units, by table, then `table` or the index's name. */
export type CapacityByTable = Record<string, Record<string, number>>;

export interface DynamoDbUnits {
  write: CapacityByTable;
  read: CapacityByTable;
  /** Requests by operation (PutItem, Query, …). */
  requests: Record<string, number>;
  /** Conditional writes that failed (billed, answered without capacity): counted as described above. */
  failedConditionalWrites: number;
}

export interface DynamoDbMeter {
  endpoint: string;
  /** What was consumed since the meter started (a copy). */
  units(): DynamoDbUnits;
  close(): Promise<void>;
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems']);
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);

interface Consumed {
  TableName?: string;
  CapacityUnits?: number;
  Table?: { CapacityUnits?: number };
  GlobalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
  LocalSecondaryIndexes?: Record<string, { CapacityUnits?: number }>;
}

type AttributeValue = Record<string, unknown>;

/** An attribute value's size as DynamoDB counts it for billing (names and values in UTF-8; numbers about half their digits). */
function valueBytes(value: AttributeValue): number {
  const [type, v] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(v));
    case 'N':
      return Math.ceil(String(v).replace(/[^0-9]/g, '').length / 2) + 1;
    case 'B':
      return Buffer.byteLength(String(v), 'base64');
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'SS':
    case 'NS':
    case 'BS':
      return (v as string[]).reduce((n, s) => n + Buffer.byteLength(s), 0);
    case 'L':
      return 3 + (v as AttributeValue[]).reduce((n, e) => n + 1 + valueBytes(e), 0);
    case 'M':
      return 3 + itemBytes(v as Record<string, AttributeValue>) + Object.keys(v as object).length;
    default:
      return 0;
  }
}

/** An item's size as DynamoDB bills it: each attribute's name and value. */
export function itemBytes(item: Record<string, AttributeValue>): number {
  return Object.entries(item).reduce(
    (n, [name, value]) => n + Buffer.byteLength(name) + valueBytes(value),
    0,
  );
}

const read = (stream: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });

export async function startDynamoDbMeter(dynamodbLocal: string): Promise<DynamoDbMeter> {
  const target = new URL(dynamodbLocal);
  const units: DynamoDbUnits = { write: {}, read: {}, requests: {}, failedConditionalWrites: 0 };
  const add = (kind: 'write' | 'read', table: string, part: string, amount: number) => {
    const parts = units[kind][table] ?? {};
    parts[part] = (parts[part] ?? 0) + amount;
    units[kind][table] = parts;
  };
  const record = (kind: 'write' | 'read', consumed: Consumed | Consumed[] | undefined) => {
    for (const c of consumed === undefined ? [] : Array.isArray(consumed) ? consumed : [consumed]) {
      const table = c.TableName ?? '?';
      const indexes = { ...c.GlobalSecondaryIndexes, ...c.LocalSecondaryIndexes };
      const onIndexes = Object.values(indexes).reduce((n, i) => n + (i.CapacityUnits ?? 0), 0);
      add(kind, table, 'table', c.Table?.CapacityUnits ?? (c.CapacityUnits ?? 0) - onIndexes);
      for (const [name, i] of Object.entries(indexes)) add(kind, table, name, i.CapacityUnits ?? 0);
    }
  };

  const server: Server = createServer(async (req, res) => {
    try {
      const body = await read(req);
      const operation = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      units.requests[operation] = (units.requests[operation] ?? 0) + 1;
      const metered = WRITES.has(operation) || READS.has(operation);
      let sent = body;
      let asked = true;
      let json: Record<string, unknown> | undefined;
      if (metered) {
        json = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
        asked = json.ReturnConsumedCapacity !== undefined && json.ReturnConsumedCapacity !== 'NONE';
        if (!asked) sent = Buffer.from(JSON.stringify({ ...json, ReturnConsumedCapacity: 'INDEXES' }));
      }
      const headers = { ...req.headers, 'content-length': String(sent.length), host: target.host };
      delete headers['transfer-encoding'];
      const answer = await new Promise<IncomingMessage>((resolve, reject) => {
        const out = httpRequest(
          { host: target.hostname, port: target.port, path: req.url, method: req.method, headers },
          resolve,
        );
        out.on('error', reject);
        out.end(sent);
      });
      let reply = await read(answer);
      const replyHeaders = { ...answer.headers };
      if (metered && json) {
        const parsed = JSON.parse(reply.toString('utf8') || '{}') as Record<string, unknown>;
        const kind = WRITES.has(operation) ? 'write' : 'read';
        if ((answer.statusCode ?? 500) < 300) record(kind, parsed.ConsumedCapacity as Consumed | Consumed[]);
        else if (String(parsed.__type ?? '').endsWith('ConditionalCheckFailedException')) {
          units.failedConditionalWrites++;
          const item = json.Item as Record<string, AttributeValue> | undefined;
          add(
            'write',
            String(json.TableName),
            'table',
            item ? Math.max(1, Math.ceil(itemBytes(item) / 1024)) : 1,
          );
        }
        if (!asked && parsed.ConsumedCapacity !== undefined) {
          delete parsed.ConsumedCapacity;
          reply = Buffer.from(JSON.stringify(parsed));
          // The SDK checks this checksum of the body it gets: the body is no longer DynamoDB Local's.
          delete replyHeaders['x-amz-crc32'];
        }
      }
      // Sent whole, with its length: not in chunks, whatever DynamoDB Local did.
      delete replyHeaders['transfer-encoding'];
      replyHeaders['content-length'] = String(reply.length);
      res.writeHead(answer.statusCode ?? 500, replyHeaders);
      res.end(reply);
    } catch (error) {
      res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
      res.end(JSON.stringify({ __type: 'InternalServerError', message: (error as Error).message }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    units: () => structuredClone(units),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
