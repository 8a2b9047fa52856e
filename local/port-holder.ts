/**
 * Whether a local port is free, and if not, what holds it: "port 3000 is in use" alone leaves a
 * newcomer guessing (a forgotten local mode? another dev server?), so the message names the
 * program and its PID when this machine lets us see them (Linux's /proc, the user's own processes).
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { createServer } from 'node:net';

/** Whether `port` can be listened on at `host` right now. */
export function portFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return portProblem(port, host).then((problem) => problem === undefined);
}

/**
 * Why `port` cannot be listened on at `host`: `'in-use'`, or a sentence about the address (one
 * not of this machine, or a name that does not resolve); undefined when it can.
 */
export function portProblem(port: number, host = '127.0.0.1'): Promise<'in-use' | string | undefined> {
  return new Promise((resolve) => {
    const probe = createServer()
      .once('error', (error: NodeJS.ErrnoException) => {
        if (error.code === 'EADDRNOTAVAIL') resolve(`${host} is not an address of this machine`);
        else if (error.code === 'ENOTFOUND' || error.code === 'EAI_AGAIN')
          resolve(`${host} is not an address, nor a name that resolves`);
        else if (error.code === 'EACCES')
          resolve(`port ${port} needs privileges on ${host}: use a port above 1023`);
        else resolve('in-use');
      })
      .once('listening', () => probe.close(() => resolve(undefined)))
      .listen(port, host);
  });
}

/** Socket inodes listening on `port` (TCP, IPv4 and IPv6), from /proc/net. */
function listeningInodes(port: number): Set<string> {
  const inodes = new Set<string>();
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text: string;
    try {
      text = readFileSync(table, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      const local = cols[1];
      // State 0A is LISTEN; the local address ends in the port, in hex.
      if (cols[3] === '0A' && local && Number.parseInt(local.split(':').at(-1) ?? '', 16) === port && cols[9])
        inodes.add(cols[9]);
    }
  }
  return inodes;
}

/** The process listening on `port`, e.g. `java (PID 4242)`, or undefined when it cannot be seen. */
export function portHolder(port: number): { pid: number; command: string } | undefined {
  const inodes = listeningInodes(port);
  if (inodes.size === 0) return undefined;
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      if (inode && inodes.has(inode)) return { pid: Number(pid), command: commandOf(pid) };
    }
  }
  return undefined;
}

/** The program and its first arguments, short enough for one line. */
function commandOf(pid: string): string {
  try {
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
    const program = argv[0]?.split('/').at(-1) ?? '?';
    // The script or jar a runtime runs says more than the runtime's own flags.
    const script = argv.slice(1).find((arg) => /\.(m?[jt]s|jar)$/.test(arg));
    return script ? `${program} ${script.split('/').slice(-2).join('/')}` : program;
  } catch {
    return 'a process';
  }
}

/**
 * "port 3000 (PORT) is in use by node local/start.ts (PID 4242)", or "… in use by another
 * program" when its holder cannot be seen; then how to choose another.
 */
export function portInUseMessage(port: number, variable: string): string {
  const holder = portHolder(port);
  const by = holder ? `${holder.command} (PID ${holder.pid})` : 'another program';
  return `port ${port} (${variable}) is in use by ${by}: stop it, or choose another port, e.g. ${variable}=${port + 1} npm start`;
}
