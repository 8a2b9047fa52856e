/** "port in use" names what holds it, so that a newcomer knows whether to stop it or pick another. */
import { createServer, type Server } from 'node:net';
import { portFree, portHolder, portInUseMessage } from '../../local/port-holder';

let server: Server;
let port: number;

beforeAll(async () => {
  server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe('a port in use', () => {
  it('is not free', async () => {
    expect(await portFree(port)).toBe(false);
  });

  it('names the process listening on it, on Linux', () => {
    if (process.platform !== 'linux') return expect(portHolder(port)).toBeUndefined();
    expect(portHolder(port)).toEqual({ pid: process.pid, command: expect.stringMatching(/^node/) });
    expect(portInUseMessage(port, 'DYNAMODB_PORT')).toMatch(
      new RegExp(
        `^port ${port} \\(DYNAMODB_PORT\\) is in use by node.* \\(PID ${process.pid}\\): stop it, or choose another port, e\\.g\\. DYNAMODB_PORT=${port + 1} npm start$`,
      ),
    );
  });
});

describe('a free port', () => {
  it('is free and held by nobody', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const free = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    expect(await portFree(free)).toBe(true);
    expect(portHolder(free)).toBeUndefined();
    expect(portInUseMessage(free, 'PORT')).toContain('in use by another program');
  });
});
