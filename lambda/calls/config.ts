/** The projector's configuration, read from its environment once at cold start. */
import { PROJECT_ENV, SETTINGS } from '../contract/runtime-config';
import { readSetting, required } from '../shared/env';
import type { FoldOptions } from './fold-call';
import type { CountryCode } from './phone';

export interface ProjectConfig {
  tables: { callEvents: string; calls: string };
  fold: Required<FoldOptions>;
  retentionDays?: number;
  callbackWindowHours: number;
}

export function readProjectConfig(env: NodeJS.ProcessEnv): ProjectConfig {
  return {
    tables: {
      callEvents: required(env, PROJECT_ENV.callEventsTable),
      calls: required(env, PROJECT_ENV.callsTable),
    },
    fold: {
      timeZone: readSetting(env, SETTINGS.timeZone),
      defaultCountry: readSetting(env, SETTINGS.defaultCountry) as CountryCode,
    },
    retentionDays: readSetting(env, SETTINGS.retentionDays),
    callbackWindowHours: readSetting(env, SETTINGS.callbackWindowHours),
  };
}
