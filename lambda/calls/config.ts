/** The projector's and the sweep's configuration, each read from its function's environment once at cold start. */
import { PROJECT_ENV, SWEEP_ENV } from '../config/environment';
import { SETTINGS } from '../config/settings';
import { readSetting, required } from '../shared/env';
import type { CountryCode } from '../shared/phone';
import type { FoldOptions } from './fold-call';
import { indexNamesFromEnvironment } from './index-upgrade';
import type { CallsIndexNames } from './table';

export interface ProjectConfig {
  tables: { callEvents: string; calls: string };
  /** The Calls table's indexes read, by name: the current ones unless an upgrade is under way. */
  callsIndexes: CallsIndexNames;
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
    callsIndexes: indexNamesFromEnvironment(env[PROJECT_ENV.callsIndexNames]),
    fold: {
      timeZone: readSetting(env, SETTINGS.timeZone),
      defaultCountry: readSetting(env, SETTINGS.defaultCountry) as CountryCode,
    },
    retentionDays: readSetting(env, SETTINGS.retentionDays),
    callbackWindowHours: readSetting(env, SETTINGS.callbackWindowHours),
  };
}

export interface SweepConfig {
  callsTable: string;
  /** The Calls table's indexes read, by name: the current ones unless an upgrade is under way. */
  callsIndexes: CallsIndexNames;
  /** Minutes, in whole seconds (the setting allows fractions such as 0.5). */
  stuckAfterMinutes: number;
  callbackWindowHours: number;
}

export function readSweepConfig(env: NodeJS.ProcessEnv): SweepConfig {
  return {
    callsTable: required(env, SWEEP_ENV.callsTable),
    callsIndexes: indexNamesFromEnvironment(env[SWEEP_ENV.callsIndexNames]),
    stuckAfterMinutes: readSetting(env, SETTINGS.stuckCallAfterMinutes),
    callbackWindowHours: readSetting(env, SETTINGS.callbackWindowHours),
  };
}
