/**
 * `npm run send`: the body it builds from the contract's example of a HookType (valid, a new
 * SessionID, its times at now, fields set as typed by the contract), and what it says of the
 * answer of a stand-in webhook; where it sends, and what it says when local mode is not running.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN_HEADER } from '../../lambda/config/webhook';
import { HOOK_TYPES, parseCallEvent, toCallEventRecord } from '../../lambda/contract';
import { specExamplePayload } from '../../lambda/contract/spec-examples';
import type { RuntimeFile } from '../../local/runtime-file';
import { providerTime } from '../../scripts/lib/scenarios';
import { buildBody, isNumberField, main, parseAssignments, type SendIo } from '../../scripts/send';

const NOW = new Date('2026-11-30T12:00:00Z');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const body = (
  hookType: (typeof HOOK_TYPES)[number],
  assignments: [string, string][] = [],
  timeZone = 'Europe/Moscow',
) => buildBody({ hookType, assignments, timeZone, now: NOW });

describe('the body', () => {
  it.each(HOOK_TYPES)(
    'of %s passes the contract, with a new SessionID and its own time at now',
    (hookType) => {
      const sent = body(hookType);
      expect(sent.SessionID).toMatch(UUID);
      expect(sent.SessionID).not.toBe(specExamplePayload(hookType).SessionID);
      expect(body(hookType).SessionID).not.toBe(sent.SessionID);
      const parsed = parseCallEvent(sent);
      if (!parsed.ok) throw new Error(`${hookType}: invalid`);
      // The event's own time, as the product reads it, is now.
      const record = toCallEventRecord(parsed.event, {
        timeZone: 'Europe/Moscow',
        receivedAt: NOW,
        rawBody: '',
      });
      expect(record.EventTime).toBe('2026-11-30T12:00:00Z');
      // The fields the example has, and no other.
      expect(Object.keys(sent)).toEqual(Object.keys(specExamplePayload(hookType)));
    },
  );

  it("keeps the example's other times at their distance from the event's own", () => {
    const sent = body('EndOutCall');
    const example = specExamplePayload('EndOutCall');
    const gap = (b: Record<string, unknown>) =>
      Date.parse(`${String(b.EndTime).replace(' ', 'T')}Z`) -
      Date.parse(`${String(b.StartTime).replace(' ', 'T')}Z`);
    expect(gap(sent)).toBe(gap(example));
    expect(sent.EndTime).toBe(providerTime(NOW, 'Europe/Moscow'));
    expect(body('EndIncCall', [], 'UTC').EndTime).toBe('2026-11-30 12:00:00');
  });

  it('sets each field=value, a number only where the contract keeps the field as one', () => {
    const sent = body('EndIncCall', [
      ['Duration', '30'],
      ['ResultCode', '486'],
      ['SessionID', 'my-call'],
      ['EndTime', '2021-01-28 18:27:19'],
      ['DeliveryAttempt', '2'],
      ['Called', ''],
    ]);
    expect(sent).toMatchObject({
      Duration: 30,
      ResultCode: '486',
      SessionID: 'my-call',
      EndTime: '2021-01-28 18:27:19',
      DeliveryAttempt: '2',
      Called: '',
    });
    // A value the contract cannot read is sent as typed, for the webhook to refuse.
    expect(body('EndIncCall', [['Duration', 'long']]).Duration).toBe('long');
    expect([isNumberField('EndIncCall', 'Duration'), isNumberField('EndIncCall', 'ResultCode')]).toEqual([
      true,
      false,
    ]);
    expect([isNumberField('CreateIncCall', 'Caller'), isNumberField('CreateIncCall', 'Nope')]).toEqual([
      false,
      false,
    ]);
  });

  it('takes field=value only', () => {
    expect(parseAssignments(['a=b=c', 'x='])).toEqual([
      ['a', 'b=c'],
      ['x', ''],
    ]);
    expect(() => parseAssignments(['Duration'])).toThrow(
      'expected field=value after the HookType (got Duration)',
    );
    expect(() => parseAssignments(['=5'])).toThrow('expected field=value');
  });
});

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers as the webhook does: 401 without the token, 400 with issues when the contract refuses, else 200. */
function webhook(token: string) {
  const received: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      received.push({ headers: req.headers, body: text });
      const answer = (status: number, json: object) =>
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
      if (req.headers[TOKEN_HEADER] !== token) return answer(401, { message: 'Unauthorized' });
      const parsed = parseCallEvent(JSON.parse(text));
      if (!parsed.ok) return answer(400, { status: 'rejected', reason: 'contract', issues: parsed.issues });
      return answer(200, { status: 'accepted', eventKey: 'k', sessionId: parsed.event.SessionID });
    });
  });
  return { server, received };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/call-events`;
}

function capture(env: NodeJS.ProcessEnv = {}, runtimeFile = join(tmpdir(), 'no-such-dir', 'runtime.json')) {
  const out: string[] = [];
  const err: string[] = [];
  const io: SendIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, runtimeFile, now: () => NOW };
  return { io, out, err };
}

function runtimeFileFor(overrides: Partial<RuntimeFile>): string {
  const file = join(mkdtempSync(join(tmpdir(), 'send-')), 'runtime.json');
  const runtime: RuntimeFile = {
    pid: process.pid,
    webhookUrl: 'http://127.0.0.1:9/call-events',
    token: 'local-token',
    region: 'us-east-1',
    dynamodbEndpoint: 'http://127.0.0.1:8000',
    eventbridgeEndpoint: 'http://127.0.0.1:4010',
    tables: { callEvents: 'CallEvents', rejectedEvents: 'RejectedCallEvents', calls: 'Calls' },
    deliveriesDir: '.local/deliveries',
    eventsFile: '.local/events.ndjson',
    timeZone: 'Asia/Yekaterinburg',
    eventBusName: 'call-events',
    eventSource: 'telephony.call-events',
    defaultCountry: 'RU',
    ...overrides,
  };
  writeFileSync(file, JSON.stringify(runtime));
  return file;
}

describe('npm run send', () => {
  const token = 'test-token';
  let hook: ReturnType<typeof webhook>;
  let url: string;

  beforeEach(async () => {
    hook = webhook(token);
    url = await listen(hook.server);
  });
  afterEach(() => new Promise<void>((resolve) => hook.server.close(() => resolve())));

  it('posts the body as JSON with the token, and prints its HookType, SessionID and the answer', async () => {
    const { io, out, err } = capture();
    expect(await main(['EndIncCall', '--url', url, '--token', token, '--time-zone', 'UTC'], io)).toBe(0);
    expect(err).toEqual([]);
    expect(hook.received).toHaveLength(1);
    const [{ headers, body: sent }] = hook.received as [Received];
    expect(headers[TOKEN_HEADER]).toBe(token);
    expect(headers['content-type']).toBe('application/json');
    const json = JSON.parse(sent) as Record<string, unknown>;
    expect(json).toMatchObject({ HookType: 'EndIncCall', EndTime: '2026-11-30 12:00:00' });
    expect(out).toEqual([`EndIncCall  SessionID ${json.SessionID}  → 200 accepted`]);
  });

  it('exits 1 on a refusal, with its status, reason and the issues', async () => {
    const { io, out } = capture({ WEBHOOK_URL: url, WEBHOOK_TOKEN: token });
    expect(await main(['MissedIncCall', 'SessionID=s-1', 'Duration=-3'], io)).toBe(1);
    expect(out[0]).toBe('MissedIncCall  SessionID s-1  → 400 rejected contract');
    expect(out[1]).toMatch(/^ {2}Duration: /);
    const wrong = capture();
    expect(await main(['EndIncCall', '--url', url, '--token', 'wrong'], wrong.io)).toBe(1);
    expect(wrong.out[0]).toMatch(/^EndIncCall {2}SessionID [0-9a-f-]{36} {2}→ 401$/);
  });

  it('takes the URL, the token and the time zone from the running local mode', async () => {
    const { io, out } = capture({}, runtimeFileFor({ webhookUrl: url, token }));
    expect(await main(['CreateIncCall'], io)).toBe(0);
    expect(out[0]).toMatch(/→ 200 accepted$/);
    // Yekaterinburg is UTC+5.
    expect(JSON.parse(hook.received[0]?.body ?? '').StartTime).toBe('2026-11-30 17:00:00');
  });

  it('says local mode is not running, and how to send elsewhere, before building anything', async () => {
    const message =
      'local mode is not running (start it with npm start), or pass --url URL --token TOKEN (or set WEBHOOK_URL and WEBHOOK_TOKEN)';
    const none = capture();
    expect(await main(['EndIncCall'], none.io)).toBe(1);
    expect(none.err).toEqual([message]);
    const stopped = capture({}, runtimeFileFor({ webhookUrl: url, token, stoppedAt: NOW.toISOString() }));
    expect(await main(['EndIncCall'], stopped.io)).toBe(1);
    expect(stopped.err).toEqual([message]);
    expect(hook.received).toHaveLength(0);
  });

  it('--print prints the body alone, valid JSON, and sends nothing', async () => {
    const { io, out, err } = capture({ WEBHOOK_URL: url, WEBHOOK_TOKEN: token });
    expect(await main(['AttemptIncCallEnd', '--print', 'Called=80052002651', '--time-zone', 'UTC'], io)).toBe(
      0,
    );
    expect(err).toEqual([]);
    const printed = JSON.parse(out.join('\n')) as Record<string, unknown>;
    expect(printed).toMatchObject({ HookType: 'AttemptIncCallEnd', Called: '80052002651' });
    expect(parseCallEvent(printed).ok).toBe(true);
    expect(hook.received).toHaveLength(0);
  });

  it('lists the eight HookTypes for an unknown one, or none', async () => {
    const eight = HOOK_TYPES.join(', ');
    const unknown = capture();
    expect(await main(['EndCall', '--print'], unknown.io)).toBe(1);
    expect(unknown.err).toEqual([
      `npm run send: unknown HookType EndCall; choose one of ${eight} (see npm run send -- --help)`,
    ]);
    const none = capture();
    expect(await main(['--print'], none.io)).toBe(1);
    expect(none.err).toEqual([
      `npm run send: give a HookType: choose one of ${eight} (see npm run send -- --help)`,
    ]);
    expect(HOOK_TYPES).toHaveLength(8);
  });
});
