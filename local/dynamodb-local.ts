/**
 * Starts, supervises and stops DynamoDB Local, AWS's own emulator (a Java program whose jar
 * ships in the `amplify-dynamodb-simulator` npm package, of which only the jar and its
 * libraries are fetched, on first use, into a cache), on a loopback port. It is started through
 * `local/java/LoopbackDynamoDbLocal.java`, which makes it listen on 127.0.0.1 alone (it has no
 * option of its own for that) and stop once local mode is gone. If it dies, it is restarted on
 * the same port and data directory; when that cannot be (in memory, or the restart fails) the
 * owner is told, so that local mode stops rather than run half alive.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { cacheRoot, ensurePackage, type PinnedPackage } from './npm-package-cache';
import { writeFileAtomic } from './state-file';

export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  /**
   * False when the loopback launcher could not be compiled (a Java without its compiler
   * module) and the emulator answers on every interface; the owner says so.
   */
  loopbackOnly: boolean;
  /** The emulator's current process (a new one after a restart). */
  process(): ChildProcess;
  stop(): Promise<void>;
}

export interface DynamoDbLocalOptions {
  /** Keep tables in memory only; otherwise in `dataDir`. */
  inMemory?: boolean;
  dataDir?: string;
  /** @default a free port */
  port?: number;
  /** Told what is not as it should be but does not stop it (e.g. a leftover emulator stopped). @default nothing */
  onNotice?: (message: string) => void;
  /** Told once per death that was followed by a successful restart. @default nothing */
  onRestart?: (message: string) => void;
  /** Told when it died and could not be restarted: it is gone for good. @default nothing */
  onFatal?: (message: string) => void;
}

/** Credentials DynamoDB Local accepts; it checks neither them nor the region. */
export const LOCAL_AWS_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
} as const;

/**
 * The npm package DynamoDB Local's jar comes from. Its other contents (the Amplify CLI's core, an
 * older aws-cdk-lib) are never installed: only its `emulator/` folder is extracted.
 */
export const DYNAMODB_LOCAL_PACKAGE: PinnedPackage = {
  name: 'amplify-dynamodb-simulator',
  version: '2.9.30',
  integrity:
    'sha512-xTeeRLvzEfqyd5lh3bH4c0kHvSHHmmhD5ZDsHFKAQ5g2Zl6JqlFdutaQhCLHzxEp6Ry1o7TB6niIoXuQAnSewQ==',
  downloadSize: '54 MiB',
};

/** The folder holding `DynamoDBLocal.jar` and `DynamoDBLocal_lib/`, fetched on first use. */
export async function emulatorDir(log?: (message: string) => void): Promise<string> {
  return join(await ensurePackage(DYNAMODB_LOCAL_PACKAGE, { paths: ['emulator'], log }), 'emulator');
}

export function javaAvailable(): boolean {
  return spawnSync('java', ['-version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_AWS_ENV.AWS_REGION,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      if (child.exitCode !== null) throw new Error(`DynamoDB Local exited with code ${child.exitCode}`);
      try {
        await client.send(new ListTablesCommand({}));
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    throw new Error(`DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`);
  } finally {
    client.destroy();
  }
}

/** The file, beside the data, naming the emulator process that serves it. */
const pidFileOf = (dataDir: string) => join(dataDir, 'dynamodb-local.pid');

/**
 * Stops an emulator left running on this data directory by a local mode that was killed
 * (`kill -9` leaves its children behind): two emulators must never share one database.
 */
export async function stopLeftover(dataDir: string): Promise<number | undefined> {
  let pid: number;
  try {
    pid = Number(readFileSync(pidFileOf(dataDir), 'utf8').trim());
  } catch {
    return undefined;
  }
  let stopped: number | undefined;
  const command =
    Number.isInteger(pid) && pid > 0 ? spawnSync('ps', ['-o', 'command=', '-p', String(pid)]) : undefined;
  if (command?.status === 0 && command.stdout.toString().includes('DynamoDBLocal.jar')) {
    const signal = (name: NodeJS.Signals) => {
      try {
        process.kill(pid, name);
      } catch {
        // Gone in the meantime.
      }
    };
    signal('SIGTERM');
    const deadline = Date.now() + 5000;
    const running = () => spawnSync('ps', ['-p', String(pid)]).status === 0;
    while (running() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (running()) signal('SIGKILL');
    stopped = pid;
  }
  rmSync(pidFileOf(dataDir), { force: true });
  return stopped;
}

const LAUNCHER_SOURCE = join(__dirname, 'java', 'LoopbackDynamoDbLocal.java');
const LAUNCHER_CLASS = 'LoopbackDynamoDbLocal';

/**
 * The launcher compiled once per version of its source into the cache (a second faster at every
 * start than Java's compile-on-launch), with the compiler module every JDK and Debian's JRE carry;
 * undefined when this Java has none.
 */
function compiledLauncher(emulator: string): string | undefined {
  const source = readFileSync(LAUNCHER_SOURCE);
  const key = createHash('sha256').update(source).update(emulator).digest('hex').slice(0, 16);
  const dir = join(cacheRoot(), 'dynamodb-local-launcher', key);
  if (existsSync(join(dir, `${LAUNCHER_CLASS}.class`))) return dir;
  mkdirSync(join(cacheRoot(), 'dynamodb-local-launcher'), { recursive: true });
  const building = mkdtempSync(`${dir}.`);
  const compiled = spawnSync(
    'java',
    [
      '-m',
      'jdk.compiler/com.sun.tools.javac.Main',
      '-nowarn',
      '-cp',
      join(emulator, 'DynamoDBLocal.jar'),
      '-d',
      building,
      LAUNCHER_SOURCE,
    ],
    { stdio: 'ignore' },
  );
  if (compiled.status !== 0) {
    rmSync(building, { recursive: true, force: true });
    return undefined;
  }
  try {
    renameSync(building, dir);
  } catch {
    // Another start compiled it meanwhile.
    rmSync(building, { recursive: true, force: true });
  }
  return dir;
}

export async function startDynamoDbLocal(options: DynamoDbLocalOptions = {}): Promise<DynamoDbLocal> {
  if (!javaAvailable()) {
    throw new Error(
      'DynamoDB Local needs Java 17 or later: install a JRE (e.g. `apt-get install openjdk-17-jre-headless`)',
    );
  }
  const port = options.port || (await freePort());
  const dir = await emulatorDir();
  const dataDir = resolve(options.dataDir ?? '.local/dynamodb');
  const persistent = options.inMemory === false;
  const storage = persistent ? ['-dbPath', dataDir] : ['-inMemory'];
  if (persistent) {
    mkdirSync(dataDir, { recursive: true });
    const leftover = await stopLeftover(dataDir);
    if (leftover !== undefined)
      options.onNotice?.(
        `stopped DynamoDB Local (pid ${leftover}) left running on ${dataDir} by a local mode that was killed`,
      );
  }
  const launcher = compiledLauncher(dir);
  const classpath = [join(dir, 'DynamoDBLocal.jar'), ...(launcher ? [launcher] : [])].join(':');
  const main = launcher ? ['-cp', classpath, LAUNCHER_CLASS] : ['-jar', join(dir, 'DynamoDBLocal.jar')];
  const endpoint = `http://127.0.0.1:${port}`;
  let stopping = false;
  let stderr = '';

  const spawnEmulator = () => {
    const child = spawn(
      'java',
      [
        `-Djava.library.path=${join(dir, 'DynamoDBLocal_lib')}`,
        ...main,
        '-port',
        String(port),
        '-sharedDb',
        '-disableTelemetry',
        ...storage,
      ],
      {
        stdio: ['ignore', 'ignore', 'pipe'],
        // DynamoDB Local writes a metadata file into its working directory: keep it out of the repo.
        cwd: persistent ? dataDir : tmpdir(),
        // Its own process group: a terminal's Ctrl-C reaches the parent, which stops it last.
        detached: true,
      },
    );
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    return child;
  };
  const stopChild = (child: ChildProcess) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const force = setTimeout(() => child.kill('SIGKILL'), 3000);
      child.once('exit', () => {
        clearTimeout(force);
        resolve();
      });
      child.kill('SIGTERM');
    });
  const startEmulator = async (): Promise<ChildProcess> => {
    stderr = '';
    const child = spawnEmulator();
    try {
      await waitUntilReady(endpoint, child, 30_000);
    } catch (error) {
      await stopChild(child);
      throw new Error(`${(error as Error).message}${stderr ? `\n${stderr}` : ''}`);
    }
    if (persistent) writeFileAtomic(pidFileOf(dataDir), `${child.pid}\n`);
    return child;
  };

  let current = await startEmulator();
  let restarting: Promise<void> | undefined;
  const supervise = (child: ChildProcess) => {
    child.once('exit', (code, signal) => {
      if (stopping) return;
      const died = `DynamoDB Local (pid ${child.pid}) died (${signal ?? `code ${code}`})`;
      if (!persistent) {
        options.onFatal?.(`${died}; its in-memory tables are gone`);
        return;
      }
      restarting = startEmulator().then(
        (next) => {
          current = next;
          restarting = undefined;
          if (stopping) return void stopChild(next);
          supervise(next);
          options.onRestart?.(`${died}; restarted on ${endpoint} with the same data (${dataDir})`);
        },
        (error: Error) => {
          restarting = undefined;
          options.onFatal?.(`${died} and could not be restarted: ${error.message.split('\n')[0]}`);
        },
      );
    });
  };
  supervise(current);

  return {
    endpoint,
    port,
    loopbackOnly: launcher !== undefined,
    process: () => current,
    async stop() {
      stopping = true;
      await restarting;
      await stopChild(current);
      if (persistent) rmSync(pidFileOf(dataDir), { force: true });
    },
  };
}
