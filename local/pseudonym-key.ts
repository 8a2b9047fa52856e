/**
 * Pseudonymous mode's key in local mode: the stack keeps it in a secret, which stays in AWS; local
 * mode gives the ingest `CUSTOMER_NUMBER_KEY` from the environment when set, else the key it
 * generated under `.local/` on its first start in that mode (readable by its owner alone), so that
 * the same customer keeps the same pseudonym across restarts, as a deployed stack's secret does.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { INGEST_ENV } from '../lambda/config/environment';
import { pseudonymKeyProblem } from '../lambda/shared/pseudonym';
import { writeFileAtomic } from './state-file';

export const PSEUDONYM_KEY_FILE = 'customer-number-key';

/** Where local mode's key comes from, as the runtime file records it for the tools. */
export type LocalKeySource = { from: 'environment' } | { from: 'file'; path: string };

export class PseudonymKeyError extends Error {
  override name = 'PseudonymKeyError';
}

function checked(key: string, where: string): string {
  const problem = pseudonymKeyProblem(key);
  if (problem) throw new PseudonymKeyError(`The pseudonym key in ${where} ${problem}`);
  return key.trim();
}

/** The key local mode gives the ingest, and where it is; generated under `stateDir` when there is none. */
export function localPseudonymKey(
  stateDir: string,
  env: NodeJS.ProcessEnv = process.env,
): { key: string; source: LocalKeySource } {
  const given = env[INGEST_ENV.customerNumberKey];
  if (given !== undefined && given !== '')
    return { key: checked(given, INGEST_ENV.customerNumberKey), source: { from: 'environment' } };
  const path = join(stateDir, PSEUDONYM_KEY_FILE);
  if (!existsSync(path)) writeFileAtomic(path, `${randomBytes(32).toString('hex')}\n`, 0o600);
  return { key: checked(readFileSync(path, 'utf8'), path), source: { from: 'file', path } };
}

/** The key a tool uses against local mode: where the runtime file says local mode took it from. */
export function keyOf(source: LocalKeySource, env: NodeJS.ProcessEnv = process.env): string {
  if (source.from === 'file') return checked(readFileSync(source.path, 'utf8'), source.path);
  const given = env[INGEST_ENV.customerNumberKey];
  if (given === undefined || given === '')
    throw new PseudonymKeyError(
      `Local mode runs with the pseudonym key from ${INGEST_ENV.customerNumberKey}: set it for this command too`,
    );
  return checked(given, INGEST_ENV.customerNumberKey);
}
