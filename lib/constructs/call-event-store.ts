/**
 * The stateful part: the CallEvents table (the raw events' outbox, streamed), the
 * RejectedCallEvents quarantine, and the Calls table (one record per call, the call-level
 * events' outbox, streamed).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  StreamViewType,
  Table,
  TableEncryption,
  type TableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { CALLS_INDEXES, CALLS_KEYS, CALLS_SPARSE_INDEXES } from '../../lambda/calls/table';
import { CALL_EVENTS_KEYS, REJECTED_EVENTS_KEYS, TTL_ATTRIBUTE } from '../../lambda/config/tables';

/**
 * Both tables are RETAINed on stack deletion and have PITR: nothing the provider sent is lost.
 * Names are left to CDK; the functions get them through the environment.
 */
export class CallEventStore extends Construct {
  /** One partition per call (SessionID), its events in time order (EventKey); streams NEW_IMAGE. */
  readonly callEvents: Table;
  /** Quarantine: authenticated bodies that could not be accepted (invalid JSON or contract, oversize). */
  readonly rejectedCallEvents: Table;
  /**
   * One record per call (SessionID), folded from its events; found by customer or public number
   * through its indexes. Streams both images, so that a change of status is seen as one.
   */
  readonly calls: Table;

  constructor(scope: Construct, id: string) {
    super(scope, id);

    const common: Omit<TableProps, 'partitionKey'> = {
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      timeToLiveAttribute: TTL_ATTRIBUTE,
      removalPolicy: RemovalPolicy.RETAIN,
    };

    this.callEvents = new Table(this, 'CallEvents', {
      ...common,
      partitionKey: { name: CALL_EVENTS_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: CALL_EVENTS_KEYS.sortKey, type: AttributeType.STRING },
      // The publisher needs the stored item itself, not the diff: items are written once.
      stream: StreamViewType.NEW_IMAGE,
    });

    this.rejectedCallEvents = new Table(this, 'RejectedCallEvents', {
      ...common,
      partitionKey: { name: REJECTED_EVENTS_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: REJECTED_EVENTS_KEYS.sortKey, type: AttributeType.STRING },
    });

    this.calls = new Table(this, 'Calls', {
      ...common,
      partitionKey: { name: CALLS_KEYS.partitionKey, type: AttributeType.STRING },
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
    });
    for (const index of [...Object.values(CALLS_INDEXES), ...Object.values(CALLS_SPARSE_INDEXES)]) {
      this.calls.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
      });
    }
  }
}
