/**
 * The delivery ledger: one item per call and CRM (`SessionID`, `Crm`) in the CrmDeliveries
 * table, written under conditions so that a call reaches the CRM once however often its
 * CallCompleted arrives (re-delivered, retried after a timeout, replayed from the archive).
 *
 * A delivery claims the call (`sending`, conditional on no item, or on a `refused` one being
 * redelivered), sends it, then records what the CRM answered (`delivered` with the CRM's ids).
 * A claim is leased to the invocation that made it, until that invocation's end. One found
 * `sending` with its lease run out is an attempt that ended without an answer or died: its result
 * is unknown, so the delivery takes it over and asks the CRM before sending again (deliver.ts);
 * one still leased may be under way (a duplicate message in another invocation) and waits. A later CallCompleted
 * of a delivered call (its outcome corrected) is recorded beside the first, never sent.
 *
 * The same table keeps the rate limiter's slots (rate-limit.ts) under `SessionID` `rate#…`.
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';

/** A write refused by its condition expression (by the SDK error's name: its class differs by package). */
export const isConditionalCheckFailure = (error: unknown): boolean =>
  (error as { name?: unknown } | null)?.name === 'ConditionalCheckFailedException';

export type DeliveryState = 'sending' | 'delivered' | 'refused' | 'skipped';

/** What the CRM gave back for the call: its own ids, to find the call there. */
export interface CrmIds {
  /** How the call was added: as a call on a contact, or as an incoming lead. */
  kind: 'call' | 'lead';
  [id: string]: string | number;
}

export interface LaterCompletion {
  EventId: string;
  Outcome: string;
  ReceivedAt: string;
}

export interface DeliveryItem {
  SessionID: string;
  Crm: string;
  State: DeliveryState;
  /** The CallCompleted that was delivered (or is being). */
  EventId: string;
  Outcome: string;
  ClaimedAt: string;
  /**
   * While `sending`: until when the attempt that holds it may still be running (its invocation's
   * end); another attempt takes it over only after that, so two never send one call at once.
   */
  LeaseUntil?: string;
  Attempts: number;
  /**
   * How far an attempt got, so that the next one knows what the CRM may hold: amoCRM `lead` once
   * it is being sent as an incoming lead (no contact has the number); Bitrix24 `registered` once
   * the portal returned its CALL_ID (in CrmIds), which a retry finishes rather than registering
   * the call again. Absent: nothing sent yet, or sent as a call.
   */
  Phase?: 'lead' | 'registered';
  /** When the CRM took it. */
  DeliveredAt?: string;
  /** When it stopped being `sending`: delivered, refused or skipped. */
  SettledAt?: string;
  CrmIds?: CrmIds;
  /** Why the CRM refused it (its own words, no personal data), or why it was skipped. */
  Reason?: string;
  /** Later CallCompleted events of the call (its outcome corrected): recorded, not sent. */
  Later?: LaterCompletion[];
  LaterEventIds?: Set<string>;
}

export type Claim =
  | { claimed: true; item: DeliveryItem }
  /** Someone claimed it before: as it stands. */
  | { claimed: false; item: DeliveryItem };

export class DeliveryLedger {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly table: string,
    readonly crm: string,
  ) {}

  async get(sessionId: string): Promise<DeliveryItem | undefined> {
    const { Item } = await this.client.send(
      new GetCommand({
        TableName: this.table,
        Key: { SessionID: sessionId, Crm: this.crm },
        ConsistentRead: true,
      }),
    );
    return Item as DeliveryItem | undefined;
  }

  /**
   * Claims the call for delivery: true when no delivery was made or started (with `refused`
   * also when the last was refused: a redelivery), else the item as it stands.
   */
  async claim(
    sessionId: string,
    eventId: string,
    outcome: string,
    now: Date,
    options: { refused?: boolean; leaseUntil?: Date } = {},
  ): Promise<Claim> {
    const item: DeliveryItem = {
      SessionID: sessionId,
      Crm: this.crm,
      State: 'sending',
      EventId: eventId,
      Outcome: outcome,
      ClaimedAt: now.toISOString(),
      LeaseUntil: (options.leaseUntil ?? now).toISOString(),
      Attempts: 1,
    };
    try {
      if (!options.refused) {
        await this.client.send(
          new PutCommand({
            TableName: this.table,
            Item: item,
            ConditionExpression: 'attribute_not_exists(SessionID)',
          }),
        );
        return { claimed: true, item };
      }
      // A redelivery may claim a refused call anew: what an earlier attempt got as far as (its
      // Phase and the CRM's ids: Bitrix24's CALL_ID) and its later completions are kept.
      const { SessionID: _id, Crm: _crm, ...fields } = item;
      const { Attributes } = await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { SessionID: sessionId, Crm: this.crm },
          UpdateExpression: `SET ${Object.keys(fields)
            .map((key) => `#${key} = :${key}`)
            .join(', ')} REMOVE Reason, SettledAt`,
          ConditionExpression: 'attribute_not_exists(SessionID) OR #State = :refused',
          ExpressionAttributeNames: Object.fromEntries(Object.keys(fields).map((key) => [`#${key}`, key])),
          ExpressionAttributeValues: {
            ...Object.fromEntries(Object.entries(fields).map(([key, value]) => [`:${key}`, value])),
            ':refused': 'refused',
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { claimed: true, item: (Attributes as DeliveryItem | undefined) ?? item };
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
    const existing = await this.get(sessionId);
    if (!existing) throw new Error(`the delivery of ${sessionId} vanished while being claimed`);
    return { claimed: false, item: existing };
  }

  /**
   * Takes over a delivery found `sending` whose lease has run out (the attempt that held it ended
   * without an answer, or died), counting one more attempt: true when this caller holds it now,
   * false while another attempt may still be under way.
   */
  async takeOver(sessionId: string, now: Date, leaseUntil: Date): Promise<boolean> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { SessionID: sessionId, Crm: this.crm },
          UpdateExpression: 'SET LeaseUntil = :until ADD Attempts :one',
          ConditionExpression:
            '#state = :sending AND (attribute_not_exists(LeaseUntil) OR LeaseUntil <= :now)',
          ExpressionAttributeNames: { '#state': 'State' },
          ExpressionAttributeValues: {
            ':one': 1,
            ':sending': 'sending',
            ':now': now.toISOString(),
            ':until': leaseUntil.toISOString(),
          },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailure(error)) return false;
      throw error;
    }
  }

  /** Ends this attempt's lease on a delivery left `sending` (its calls come back from the queue). */
  async release(sessionId: string, now: Date): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { SessionID: sessionId, Crm: this.crm },
          UpdateExpression: 'SET LeaseUntil = :now',
          ConditionExpression: '#state = :sending',
          ExpressionAttributeNames: { '#state': 'State' },
          ExpressionAttributeValues: { ':sending': 'sending', ':now': now.toISOString() },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  /** The call goes to the CRM as an incoming lead now (no contact has its number): what to look for if the answer is lost. */
  async sendingAsLead(sessionId: string): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { SessionID: sessionId, Crm: this.crm },
        UpdateExpression: 'SET Phase = :lead',
        ConditionExpression: '#state = :sending',
        ExpressionAttributeNames: { '#state': 'State' },
        ExpressionAttributeValues: { ':lead': 'lead', ':sending': 'sending' },
      }),
    );
  }

  /**
   * Bitrix24 registered the call: its CALL_ID (and the CRM entity it went to) kept the moment the
   * portal returns it, so that no retry registers the call a second time.
   */
  async registered(sessionId: string, ids: CrmIds): Promise<void> {
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { SessionID: sessionId, Crm: this.crm },
        UpdateExpression: 'SET Phase = :registered, CrmIds = :ids',
        ConditionExpression: '#state = :sending',
        ExpressionAttributeNames: { '#state': 'State' },
        ExpressionAttributeValues: { ':registered': 'registered', ':ids': ids, ':sending': 'sending' },
      }),
    );
  }

  /** The CRM has the call: its ids. Only from `sending`, so that nothing overwrites a delivery. */
  async delivered(sessionId: string, ids: CrmIds, now: Date): Promise<void> {
    await this.finish(sessionId, 'delivered', now, { CrmIds: ids, DeliveredAt: now.toISOString() });
  }

  /** The CRM refused the call (a 400): why, in its words; a redelivery may claim it again. */
  async refused(sessionId: string, reason: string, now: Date): Promise<void> {
    await this.finish(sessionId, 'refused', now, { Reason: reason });
  }

  /** Nothing to deliver (no customer number to attach the call to): why. */
  async skipped(sessionId: string, reason: string, now: Date): Promise<void> {
    await this.finish(sessionId, 'skipped', now, { Reason: reason });
  }

  /** Records a later CallCompleted of a call already claimed, once per EventId. */
  async recordLater(sessionId: string, later: LaterCompletion): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { SessionID: sessionId, Crm: this.crm },
          UpdateExpression:
            'SET Later = list_append(if_not_exists(Later, :none), :later) ADD LaterEventIds :ids',
          ConditionExpression: 'attribute_exists(SessionID) AND NOT contains(LaterEventIds, :id)',
          ExpressionAttributeValues: {
            ':none': [],
            ':later': [later],
            ':ids': new Set([later.EventId]),
            ':id': later.EventId,
          },
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
    }
  }

  private async finish(sessionId: string, state: DeliveryState, now: Date, fields: Record<string, unknown>) {
    const names: Record<string, string> = { '#state': 'State' };
    const values: Record<string, unknown> = {
      ':state': state,
      ':sending': 'sending',
      ':at': now.toISOString(),
    };
    const sets = ['#state = :state', 'SettledAt = :at'];
    for (const [key, value] of Object.entries(fields)) {
      names[`#${key}`] = key;
      values[`:${key}`] = value;
      sets.push(`#${key} = :${key}`);
    }
    await this.client.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { SessionID: sessionId, Crm: this.crm },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#state = :sending',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      }),
    );
  }
}
