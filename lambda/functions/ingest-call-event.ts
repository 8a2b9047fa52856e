/** The webhook's function, plain mode (`customerNumbers=plain`): numbers are stored as sent. */
import { readIngestConfig } from '../ingest/config';
import { webhookHandler } from '../ingest/handler';

export const handler = webhookHandler(readIngestConfig(process.env));
