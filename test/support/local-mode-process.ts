/**
 * Local mode in a process of its own, on a given state directory, for tests that kill it
 * (`kill -9`) and start it again on the same data. Prints one JSON line once ready
 * (`{"webhookUrl":…,"token":…}`); SIGTERM stops it as Ctrl-C stops `npm start`.
 * Usage: node --import tsx test/support/local-mode-process.ts <stateDir>
 */
import { startLocalRuntime } from '../../local/runtime';

async function main(): Promise<void> {
  const stateDir = process.argv[2];
  if (!stateDir) throw new Error('usage: local-mode-process.ts <stateDir>');
  const runtime = await startLocalRuntime({
    port: 0,
    inMemory: false,
    stateDir,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(`${JSON.stringify({ webhookUrl: runtime.webhookUrl, token: runtime.token })}\n`);
  process.once('SIGTERM', () => {
    void runtime.stop().then(() => process.exit(0));
  });
}

main().catch((error: Error) => {
  process.stderr.write(`${error.message}\n`);
  process.exit(1);
});
