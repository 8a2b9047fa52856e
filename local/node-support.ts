/**
 * The Node.js versions the local tools support, against the AWS SDK's own schedule: SDK releases
 * after the first week of January 2027 require Node.js 22. This lockfile's SDK runs on 20.12+, so
 * 20 works until then; the SDK's nine-line warning about it is replaced by one line in the
 * `npm start` banner, and none in the tools (which would print it on every run).
 */

/** The Node.js major that AWS SDK releases from January 2027 require. */
export const SDK_REQUIRED_NODE_MAJOR = 22;

/**
 * Turns the SDK's warning off for this process and those it starts (the functions' workers), and
 * returns the one line to print instead, when this Node.js is older than the SDK will require.
 */
export function quietSdkNodeWarning(
  env: NodeJS.ProcessEnv = process.env,
  version: string = process.version,
): string | undefined {
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const major = Number(/^v(\d+)/.exec(version)?.[1]);
  if (!(major < SDK_REQUIRED_NODE_MAJOR)) return undefined;
  return `Node.js ${version} works with this checkout's AWS SDK; SDK releases from January 2027 need Node.js ${SDK_REQUIRED_NODE_MAJOR}+: upgrade before updating dependencies`;
}
