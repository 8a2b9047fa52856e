/** The publish function's configuration, read from the environment once at cold start. */
import { PUBLISH_ENV } from '../config/environment';
import { SETTINGS } from '../config/settings';
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
