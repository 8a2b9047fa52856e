/**
 * At most N requests a second to the CRM, across every concurrent invocation: each request first
 * takes a time slot of width `w = 1000 / (N - 1)` ms that has not started yet, by a conditional
 * PutItem of `rate#<crm>#<slot>` into the ledger table, and is sent at the slot's start. A slot is
 * taken once, and any 1-second window holds the starts of at most `1000 / w + 1 = N` slots (while
 * a send is less than `w` late), so it holds at most N requests
 * whatever the number of invocations, as long as their clocks agree (Lambda's are NTP-synced).
 * Slot items expire after a minute (TTL). The CRM's own 429 is still honoured (deliver.ts).
 */
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import { isConditionalCheckFailure } from './ledger';

export interface RateLimiter {
  /** Resolves when this caller may send one request. */
  take(): Promise<void>;
}

export interface SlotRateLimiterOptions {
  client: DynamoDBDocumentClient;
  table: string;
  /** Names the slots: one limit per CRM account. */
  key: string;
  /** Requests a second, at least 2. */
  perSecond: number;
  /** @default Date.now */
  now?: () => number;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/** The width of a slot for `perSecond` requests in any 1-second window. */
export const slotWidthMs = (perSecond: number) => 1000 / (Math.max(2, perSecond) - 1);

export function slotRateLimiter(options: SlotRateLimiterOptions): RateLimiter {
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const width = slotWidthMs(options.perSecond);
  return {
    async take() {
      let slot = Math.ceil(now() / width);
      for (;;) {
        // Only a slot yet to start: each request goes at its slot's start (plus a timer's few
        // ms), never late into the next one's time, which the bound counts on.
        slot = Math.max(slot, Math.ceil(now() / width));
        try {
          await options.client.send(
            new PutCommand({
              TableName: options.table,
              Item: {
                SessionID: `rate#${options.key}#${slot}`,
                Crm: options.key,
                ExpiresAt: Math.floor((slot * width) / 1000) + 60,
              },
              ConditionExpression: 'attribute_not_exists(SessionID)',
            }),
          );
        } catch (error) {
          if (!isConditionalCheckFailure(error)) throw error;
          slot++;
          continue;
        }
        const wait = slot * width - now();
        if (wait > 0) await sleep(wait);
        return;
      }
    },
  };
}
