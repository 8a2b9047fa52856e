/**
 * How the tools find a customer by the number an operator types when the stack keeps customers'
 * numbers as pseudonyms (`customerNumbers=pseudonymous`): the number read as the calls layer reads
 * it, then its pseudonym under the stack's key. Against local mode the key is where the runtime
 * file says local mode took it from; against AWS it is read from the stack's secret
 * (`--key-secret`, the CustomerNumberKeySecretArn output), which needs
 * `secretsmanager:GetSecretValue` on it.
 */
import { type CountryCode, customerNumber } from '../../lambda/calls';
import { INGEST_ENV } from '../../lambda/config/environment';
import { pseudonymKeyProblem, pseudonymOf } from '../../lambda/shared/pseudonym';
import { readSecretString, type SecretReader } from '../../lambda/shared/secrets';
import { keyOf } from '../../local/pseudonym-key';
import type { RuntimeFile } from '../../local/runtime-file';
import { UsageError } from './cli';

export const KEY_SECRET_OPTION = {
  'key-secret': {
    type: 'string',
    value: 'ARN',
    help: `with --aws, when the stack is pseudonymous: the CustomerNumberKeySecretArn\noutput (else ${INGEST_ENV.customerNumberKeySecretArn})`,
  },
} as const;

/** The variables the tools that look a customer up read, for their help. */
export const KEY_ENVIRONMENT = [
  [
    INGEST_ENV.customerNumberKeySecretArn,
    'with --aws, when the stack is pseudonymous: the secret of its pseudonym key, when --key-secret does not name it',
  ],
  [
    INGEST_ENV.customerNumberKey,
    'local mode started with the pseudonym key from this variable: the same key, for this command too',
  ],
] as const;

/** A customer as the tables know them: the number (E.164, else digits) and, in pseudonymous mode, its pseudonym. */
export interface StoredCustomer {
  number: string;
  pseudonym?: string;
  /** What the tables key the customer's calls by: the pseudonym when there is one. */
  key: string;
}

export function storedCustomer(
  typed: string,
  defaultCountry: CountryCode,
  key: string | undefined,
): StoredCustomer {
  const number = customerNumber(typed, defaultCountry);
  if (key === undefined) return { number, key: number };
  const pseudonym = pseudonymOf(number, key);
  return { number, pseudonym, key: pseudonym };
}

/**
 * The stack's pseudonym key, or undefined when it keeps numbers in clear: local mode's as its
 * runtime file says; with --aws, when this checkout's stack is pseudonymous, the secret's.
 */
export async function pseudonymKeyFor(
  flags: { aws?: boolean | undefined; keySecret?: string | undefined },
  runtime: RuntimeFile | undefined,
  env: NodeJS.ProcessEnv,
  pseudonymous: () => boolean,
  readSecret: SecretReader = readSecretString,
): Promise<string | undefined> {
  if (!flags.aws) return runtime?.pseudonymKey ? keyOf(runtime.pseudonymKey, env) : undefined;
  const secret = flags.keySecret ?? env[INGEST_ENV.customerNumberKeySecretArn];
  if (secret === undefined) {
    if (!pseudonymous()) return undefined;
    throw new UsageError(
      `the stack keeps customers' numbers as pseudonyms (customerNumbers=pseudonymous): pass --key-secret ARN (the CustomerNumberKeySecretArn output) to look a number up`,
    );
  }
  const key = await readSecret(secret);
  const problem = pseudonymKeyProblem(key);
  if (problem) throw new UsageError(`--key-secret: the secret's value ${problem}`);
  return key.trim();
}
