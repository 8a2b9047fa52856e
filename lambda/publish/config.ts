/** The publish function's configuration, read from the environment once at cold start. */
import { DEFAULTS, PUBLISH_ENV } from '../contract/runtime-config';
import { ConfigError, required } from '../shared/env';

export interface PublishConfig {
  eventBusName: string;
  source: string;
}

/** EventBridge rejects a `source` over 256 characters or in the reserved `aws.` namespace. */
const SOURCE_MAX_LENGTH = 256;

export function readPublishConfig(env: NodeJS.ProcessEnv): PublishConfig {
  const eventBusName = required(env, PUBLISH_ENV.eventBusName);
  const source = env[PUBLISH_ENV.eventSource] || DEFAULTS.eventSource;
  if (source.length > SOURCE_MAX_LENGTH || source.startsWith('aws.')) {
    throw new ConfigError(
      `Environment variable ${PUBLISH_ENV.eventSource} must be at most ${SOURCE_MAX_LENGTH} characters and not start with "aws.", got ${source}`,
    );
  }
  return { eventBusName, source };
}
