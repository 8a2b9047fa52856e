/** The sweep's configuration, read from its environment once at cold start. */
import { SETTINGS, SWEEP_ENV } from '../contract/runtime-config';
import { ConfigError, readSetting, required } from '../shared/env';

export interface SweepConfig {
  callsTable: string;
  /** Minutes, fractions allowed (STUCK_CALL_AFTER_SECONDS gives seconds, as local mode's tests do). */
  stuckAfterMinutes: number;
  callbackWindowHours: number;
}

export function readSweepConfig(env: NodeJS.ProcessEnv): SweepConfig {
  const seconds = env[SWEEP_ENV.stuckCallAfterSeconds];
  let stuckAfterMinutes = readSetting(env, SETTINGS.stuckCallAfterMinutes);
  if (seconds !== undefined && seconds !== '') {
    const n = Number(seconds);
    if (!Number.isInteger(n) || n < 1) {
      throw new ConfigError(
        `Environment variable ${SWEEP_ENV.stuckCallAfterSeconds} must be a whole number of seconds, got ${seconds}`,
      );
    }
    stuckAfterMinutes = n / 60;
  }
  return {
    callsTable: required(env, SWEEP_ENV.callsTable),
    stuckAfterMinutes,
    callbackWindowHours: readSetting(env, SETTINGS.callbackWindowHours),
  };
}
