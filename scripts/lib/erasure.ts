/**
 * Erasing one customer: every call of theirs found through the Calls table's customer index, each
 * call's stored events, its record, and every quarantined body that holds their number in any
 * format; and the receipt an operator files as the act of destruction (no number in it).
 *
 * The order makes it resumable: the receipt is written before anything is deleted, naming the
 * calls and quarantined bodies, and after each step; a call's events go before its record, and
 * the records last of all, so that a run stopped half-way leaves a receipt `in progress` that the
 * next run completes from its own list (and the index still finds what no receipt names). Every
 * delete is by key, of that customer's calls only, and deleting what is gone already is no error:
 * running it again changes nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BatchWriteCommand,
  DeleteCommand,
  type DynamoDBDocumentClient,
  ScanCommand,
} from '@aws-sdk/lib-dynamodb';
import { type CountryCode, DynamoDbCallEvents, mentionsNumber } from '../../lambda/calls';
import { REJECTED_EVENTS_KEYS } from '../../lambda/config/tables';
import { writeFileAtomic } from '../../local/state-file';
import { callsStoreOf } from './calls-store';

export interface ErasureTables {
  callEvents: string;
  calls: string;
  rejectedEvents: string;
}

export interface QuarantineKey {
  RejectedOn: string;
  RejectedKey: string;
}

/** What is stored of the customer: their calls, with how many events each, and the quarantined bodies. */
export interface ErasurePlan {
  calls: { sessionId: string; events: number }[];
  quarantined: QuarantineKey[];
}

export interface ErasureReceipt {
  receipt: 'erasure of one customer’s personal data';
  status: 'in progress' | 'complete';
  startedAt: string;
  completedAt?: string;
  /** Local mode, or the AWS region. */
  where: string;
  /** Items deleted, by table (the count of every run of this receipt). */
  deleted: { table: string; role: 'call events' | 'call records' | 'quarantined bodies'; items: number }[];
  sessionIds: string[];
  quarantined: QuarantineKey[];
  /** What holds copies this cannot delete, said so that the operator can act on them. */
  notReached: string[];
}

/** Told after each step; a test stops the erasure there by throwing. */
export type ErasureProgress = (step: 'events' | 'quarantine' | 'record', sessionIdOrKey: string) => void;

/**
 * A customer as the tables may hold them: their number (E.164, else digits) and, when the stack
 * keeps numbers as pseudonyms, its pseudonym. Both are looked for: a stack switched to
 * pseudonymous mode still holds its earlier calls under the number.
 */
export interface ErasedCustomer {
  number: string;
  pseudonym?: string;
}

export async function planErasure(
  doc: DynamoDBDocumentClient,
  tables: ErasureTables,
  customer: ErasedCustomer,
  defaultCountry: CountryCode,
): Promise<ErasurePlan> {
  const store = await callsStoreOf(doc, tables.calls);
  const records = await store.customerHistory(customer.number);
  if (customer.pseudonym !== undefined) records.push(...(await store.customerHistory(customer.pseudonym)));
  const sessionIds = [...new Set(records.map((r) => r.SessionID))];
  const calls = [];
  for (const sessionId of sessionIds)
    calls.push({ sessionId, events: (await eventKeysOf(doc, tables.callEvents, sessionId)).length });
  return {
    calls,
    quarantined: await quarantinedHolding(doc, tables.rejectedEvents, customer, defaultCountry),
  };
}

/**
 * The quarantined bodies that hold the number, in any format, or its pseudonym: the table is
 * scanned (it is kept 90 days by default).
 */
async function quarantinedHolding(
  doc: DynamoDBDocumentClient,
  table: string,
  customer: ErasedCustomer,
  defaultCountry: CountryCode,
): Promise<QuarantineKey[]> {
  const keys: QuarantineKey[] = [];
  let ExclusiveStartKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: table,
        ProjectionExpression: '#on, #key, #body, #encoding',
        ExpressionAttributeNames: {
          '#on': REJECTED_EVENTS_KEYS.partitionKey,
          '#key': REJECTED_EVENTS_KEYS.sortKey,
          '#body': 'Body',
          '#encoding': 'BodyEncoding',
        },
        ExclusiveStartKey,
      }),
    );
    for (const item of page.Items ?? []) {
      const body =
        item.BodyEncoding === 'base64'
          ? Buffer.from(String(item.Body ?? ''), 'base64').toString('latin1')
          : String(item.Body ?? '');
      const holds =
        (customer.pseudonym !== undefined && body.includes(customer.pseudonym)) ||
        mentionsNumber(body, customer.number, defaultCountry);
      if (holds)
        keys.push({ RejectedOn: item.RejectedOn as string, RejectedKey: item.RejectedKey as string });
    }
    ExclusiveStartKey = page.LastEvaluatedKey;
  } while (ExclusiveStartKey);
  return keys;
}

const eventKeysOf = (doc: DynamoDBDocumentClient, table: string, sessionId: string) =>
  new DynamoDbCallEvents(doc, table).eventKeysOf(sessionId);

/** Deletes by key, 25 a request, until DynamoDB has taken every one. */
async function deleteAll(doc: DynamoDBDocumentClient, table: string, keys: Record<string, unknown>[]) {
  for (let i = 0; i < keys.length; i += 25) {
    let requests: NonNullable<ConstructorParameters<typeof BatchWriteCommand>[0]['RequestItems']>[string] =
      keys.slice(i, i + 25).map((Key) => ({ DeleteRequest: { Key } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      if (attempt > 0)
        await new Promise((resolve) => setTimeout(resolve, Math.min(100 * 2 ** attempt, 5000)));
      const { UnprocessedItems } = await doc.send(
        new BatchWriteCommand({ RequestItems: { [table]: requests } }),
      );
      requests = UnprocessedItems?.[table] ?? [];
    }
  }
}

/** Deletes one item; whether there was one. */
async function deleteOne(doc: DynamoDBDocumentClient, table: string, Key: Record<string, unknown>) {
  const { Attributes } = await doc.send(
    new DeleteCommand({ TableName: table, Key, ReturnValues: 'ALL_OLD' }),
  );
  return Attributes !== undefined;
}

export function newReceipt(
  plan: ErasurePlan,
  tables: ErasureTables,
  where: string,
  notReached: string[],
  now = new Date(),
): ErasureReceipt {
  return {
    receipt: 'erasure of one customer’s personal data',
    status: 'in progress',
    startedAt: now.toISOString(),
    where,
    deleted: [
      { table: tables.callEvents, role: 'call events', items: 0 },
      { table: tables.calls, role: 'call records', items: 0 },
      { table: tables.rejectedEvents, role: 'quarantined bodies', items: 0 },
    ],
    sessionIds: plan.calls.map((c) => c.sessionId),
    quarantined: plan.quarantined,
    notReached,
  };
}

/**
 * Deletes what the receipt names, saving it after each step, and marks it complete. A receipt
 * left `in progress` is completed the same way: whatever is gone already counts nothing.
 */
export async function eraseByReceipt(
  doc: DynamoDBDocumentClient,
  tables: ErasureTables,
  receipt: ErasureReceipt,
  save: (receipt: ErasureReceipt) => void,
  progress: ErasureProgress = () => {},
  now: () => Date = () => new Date(),
): Promise<ErasureReceipt> {
  const count = (role: ErasureReceipt['deleted'][number]['role'], items: number) => {
    const row = receipt.deleted.find((d) => d.role === role);
    if (row) row.items += items;
  };
  save(receipt);
  for (const sessionId of receipt.sessionIds) {
    const keys = await eventKeysOf(doc, tables.callEvents, sessionId);
    await deleteAll(doc, tables.callEvents, keys);
    count('call events', keys.length);
    save(receipt);
    progress('events', sessionId);
  }
  for (const key of receipt.quarantined) {
    if (await deleteOne(doc, tables.rejectedEvents, { ...key })) count('quarantined bodies', 1);
    save(receipt);
    progress('quarantine', key.RejectedKey);
  }
  for (const sessionId of receipt.sessionIds) {
    if (await deleteOne(doc, tables.calls, { SessionID: sessionId })) count('call records', 1);
    save(receipt);
    progress('record', sessionId);
  }
  receipt.status = 'complete';
  receipt.completedAt = now().toISOString();
  save(receipt);
  return receipt;
}

/** The receipts in `dir` that a run stopped before completing, by file. */
export function unfinishedReceipts(dir: string): { file: string; receipt: ErasureReceipt }[] {
  let names: string[];
  try {
    names = readdirSync(dir).filter((name) => name.endsWith('.json'));
  } catch {
    return [];
  }
  const unfinished = [];
  for (const name of names.sort()) {
    const file = join(dir, name);
    try {
      const receipt = JSON.parse(readFileSync(file, 'utf8')) as ErasureReceipt;
      if (receipt.status === 'in progress' && Array.isArray(receipt.sessionIds))
        unfinished.push({ file, receipt });
    } catch {
      // Not a receipt this tool wrote: left alone.
    }
  }
  return unfinished;
}

/** Saves the receipt as pretty JSON, atomically (a crash mid-write leaves the previous one). */
export const receiptSaver = (file: string) => (receipt: ErasureReceipt) =>
  writeFileAtomic(file, `${JSON.stringify(receipt, null, 2)}\n`);
