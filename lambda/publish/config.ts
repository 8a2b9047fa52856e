/** The publish function's configuration, read from the environment once at cold start. */
import { PUBLISH_ENV, SETTINGS } from '../contract/runtime-config';
import { readSetting, required } from '../shared/env';

export interface PublishConfig {
  eventBusName: string;
  source: string;
}

export function readPublishConfig(env: NodeJS.ProcessEnv): PublishConfig {
  return {
    eventBusName: required(env, PUBLISH_ENV.eventBusName),
    source: readSetting(env, SETTINGS.eventSource),
  };
}
