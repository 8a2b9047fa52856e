/** Every SQS queue of the app: SQS-managed encryption, TLS-only access, 14 days to act on a message. */
import { Duration } from 'aws-cdk-lib';
import { Queue, QueueEncryption, type QueueProps } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';

/** The longest SQS allows: failed events wait as long as possible for someone to redrive them. */
export const QUEUE_RETENTION = Duration.days(14);

export type SecureQueueProps = Omit<QueueProps, 'encryption' | 'encryptionMasterKey' | 'enforceSSL'>;

export function secureQueue(scope: Construct, id: string, props: SecureQueueProps = {}): Queue {
  return new Queue(scope, id, {
    retentionPeriod: QUEUE_RETENTION,
    ...props,
    encryption: QueueEncryption.SQS_MANAGED,
    enforceSSL: true,
  });
}
