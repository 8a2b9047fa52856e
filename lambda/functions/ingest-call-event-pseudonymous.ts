/**
 * The webhook's function in pseudonymous mode (`customerNumbers=pseudonymous`): the same ingest,
 * with the customer's number replaced by its keyed pseudonym before anything reads the body
 * (lambda/ingest/customer-numbers.ts). The key is read once, from its secret (or, locally, the
 * environment); a failed read answers 503 and is tried again at the next request.
 */
import { INGEST_ENV } from '../config/environment';
import { readIngestConfig } from '../ingest/config';
import { customerNumberRewriter } from '../ingest/customer-numbers';
import { webhookHandler } from '../ingest/handler';
import { ConfigError } from '../shared/env';

const config = readIngestConfig(process.env);
const { customerNumbers } = config;
if (!customerNumbers)
  throw new ConfigError(
    `Set ${INGEST_ENV.customerNumberKeySecretArn} or ${INGEST_ENV.customerNumberKey}: pseudonymous mode needs its key`,
  );

export const handler = webhookHandler(config, customerNumberRewriter(customerNumbers));
