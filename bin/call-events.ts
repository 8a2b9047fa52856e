/** Entry point of `cdk synth`/`cdk deploy` (cdk.json `app`). */
import { buildCallEventsApp } from '../lib/app';
import { ConfigError } from '../lib/config';

try {
  buildCallEventsApp().app.synth();
} catch (error) {
  // A configuration mistake is the operator's to fix: the message, without a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}
