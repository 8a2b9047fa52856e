/**
 * A stand-in for DynamoDB and EventBridge on loopback, as fast as a server can be: it answers
 * PutItem with `{}`, GetItem with no item, Query with the items registered for the asked
 * partition (a call's stored events), and PutEvents with every entry accepted, and counts what
 * it was asked, so the benchmark can check that each invocation made exactly the calls it should
 * (and, through `inspect`, what a request carried).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { onCleanup } from './processes';

export interface StubAws {
  endpoint: string;
  /** Requests by `X-Amz-Target` (e.g. `DynamoDB_20120810.PutItem`). */
  calls: Map<string, number>;
  /** What Query answers for `:id` (the partition key value), as DynamoDB JSON items. */
  queryItems: Map<string, unknown[]>;
  /** Sees every request's target and body from now on (`undefined`: none). */
  inspect(observer: ((target: string, body: string) => void) | undefined): void;
  close(): Promise<void>;
}

export async function startStubAws(): Promise<StubAws> {
  const calls = new Map<string, number>();
  const queryItems = new Map<string, unknown[]>();
  let observer: ((target: string, body: string) => void) | undefined;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      calls.set(target, (calls.get(target) ?? 0) + 1);
      observer?.(target, Buffer.concat(chunks).toString('utf8'));
      if (target === 'DynamoDB_20120810.PutItem' || target === 'DynamoDB_20120810.GetItem') {
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end('{}');
      } else if (target === 'DynamoDB_20120810.Query') {
        const { ExpressionAttributeValues = {} } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          ExpressionAttributeValues?: Record<string, { S?: string }>;
        };
        const items = queryItems.get(ExpressionAttributeValues[':id']?.S ?? '') ?? [];
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(JSON.stringify({ Items: items, Count: items.length, ScannedCount: items.length }));
      } else if (target === 'AWSEvents.PutEvents') {
        const { Entries = [] } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as {
          Entries?: unknown[];
        };
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(
          JSON.stringify({ FailedEntryCount: 0, Entries: Entries.map(() => ({ EventId: randomUUID() })) }),
        );
      } else {
        res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1' });
        res.end(JSON.stringify({ __type: 'UnknownOperationException', message: `stub: ${target}` }));
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  const unregister = onCleanup(close);
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    queryItems,
    inspect: (next) => {
      observer = next;
    },
    close: async () => {
      unregister();
      await close();
    },
  };
}
