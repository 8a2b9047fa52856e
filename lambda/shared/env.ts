/** Reads the function's environment once, at cold start, and fails fast with a clear message. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (value === undefined || value === '') throw new ConfigError(`Environment variable ${name} is required`);
  return value;
}

export function optionalInt(
  env: NodeJS.ProcessEnv,
  name: string,
  { min, max }: { min: number; max: number },
): number | undefined {
  const value = env[name];
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      `Environment variable ${name} must be an integer from ${min} to ${max}, got ${value}`,
    );
  }
  return n;
}
