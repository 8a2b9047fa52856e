/** Entry point of `cdk synth`/`cdk deploy` (cdk.json `app`): the only place that reads the context. */
import { App } from 'aws-cdk-lib';
import { buildApp } from '../lib/app';
import { type CallEventsConfig, ConfigError, readConfig } from '../lib/config';

const app = new App();

let config: CallEventsConfig;
try {
  config = readConfig(app);
} catch (error) {
  // A configuration mistake is the operator's to fix: the message, without a stack trace.
  if (!(error instanceof ConfigError)) throw error;
  console.error(error.message);
  process.exit(1);
}

buildApp(app, config);
app.synth();
