/** Reads the function's environment once, at cold start, and fails fast with a clear message. */
import { parseSetting, type Setting, type SettingValue } from '../config/settings';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`Environment variable ${name} is required`);
  return value;
}

/** A setting from its environment variable: its default when unset, a `ConfigError` when invalid. */
export function readSetting<S extends Setting & { default: unknown }>(
  env: NodeJS.ProcessEnv,
  setting: S,
): SettingValue<S>;
export function readSetting<S extends Setting>(
  env: NodeJS.ProcessEnv,
  setting: S,
): SettingValue<S> | undefined;
export function readSetting<S extends Setting>(
  env: NodeJS.ProcessEnv,
  setting: S,
): SettingValue<S> | undefined {
  const result = parseSetting(setting, env[setting.env]);
  if (!result.ok) throw new ConfigError(`Environment variable ${setting.env}: ${result.problem}`);
  return result.value;
}
