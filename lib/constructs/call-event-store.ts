/**
 * The stateful part: the CallEvents table (the raw events' outbox, streamed), the
 * RejectedCallEvents quarantine, and the Calls table (one record per call, the call-level
 * events' outbox, streamed).
 */
import { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
  type TableProps,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { declaredAtStep, indexNamesEnvironment, readAtStep } from '../../lambda/calls/index-upgrade';
import {
  CALLS_INDEXES,
  CALLS_KEYS,
  CALLS_SPARSE_INDEXES,
  type CallsIndex,
  type CallsIndexNames,
  type ReplacedCallsIndex,
} from '../../lambda/calls/table';
import { CALLS_INDEX_NAMES_ENV } from '../../lambda/config/environment';
import { CALL_EVENTS_KEYS, REJECTED_EVENTS_KEYS, TTL_ATTRIBUTE } from '../../lambda/config/tables';

/** What a function that Queries the Calls table's indexes needs of the store. */
export type CallsIndexAccess = Pick<CallEventStore, 'callsIndexEnvironment' | 'indexArns'>;

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
  /** The index each replaced index (index-upgrade.ts) is read through by the functions of this stack. */
  readonly callsIndexes: CallsIndexNames;
  /** What a function reading the Calls table's indexes gets in its environment: their names during an upgrade, else nothing. */
  readonly callsIndexEnvironment: Record<string, string>;
  /** The Calls table's indexes, by name, as this stack declares them. */
  readonly callsIndexNames: string[];
  private readonly previousIndexes: CallsIndexNames;

  /** `indexStep`: the step of an upgrade from the earlier indexes (`-c callsIndexStep`); undefined: none. */
  constructor(scope: Construct, id: string, props: { indexStep?: number | undefined } = {}) {
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
    const { indexStep } = props;
    const indexes: CallsIndex[] = [
      ...declaredAtStep(indexStep),
      CALLS_INDEXES.missedByCustomer,
      CALLS_SPARSE_INDEXES.pendingCallbacks,
    ];
    this.callsIndexNames = indexes.map((index) => index.indexName);
    for (const index of indexes) {
      this.calls.addGlobalSecondaryIndex({
        indexName: index.indexName,
        partitionKey: { name: index.partitionKey, type: AttributeType.STRING },
        sortKey: { name: index.sortKey, type: AttributeType.STRING },
        projectionType: ProjectionType[index.projection.type],
      });
    }
    this.callsIndexes = readAtStep(indexStep);
    this.previousIndexes =
      indexStep === undefined ? this.callsIndexes : readAtStep(Math.max(0, indexStep - 1));
    this.callsIndexEnvironment =
      indexStep === undefined ? {} : { [CALLS_INDEX_NAMES_ENV]: indexNamesEnvironment(this.callsIndexes) };
  }

  /**
   * The ARNs of the indexes a function reading `names` may Query: those of this stack's step and,
   * during an upgrade, of the step before, whose code may still run while the deploy goes through.
   */
  indexArns(names: readonly ReplacedCallsIndex[], others: readonly CallsIndex[] = []): string[] {
    const indexNames = new Set([
      ...names.flatMap((name) => [this.callsIndexes[name].indexName, this.previousIndexes[name].indexName]),
      ...others.map((index) => index.indexName),
    ]);
    return [...indexNames].map((name) => `${this.calls.tableArn}/index/${name}`);
  }
}
