/** The simulator's scenarios as data, its player against a stand-in webhook, and its CLI's exit decision. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TOKEN_HEADER } from '../../lambda/config/webhook';
import { localTimeToUtcIso, parseCallEvent, toCallEventRecord } from '../../lambda/contract';
import { parseRuntimeFile, type RuntimeFile, readRuntimeFile } from '../../local/runtime-file';
import {
  acceptedEvents,
  providerTime,
  runScenario,
  SCENARIO_NAMES,
  type Scenario,
  type ScenarioName,
  scenarios,
} from '../../scripts/lib/scenarios';
import { main, resolveTarget, type SimulateIo } from '../../scripts/simulate';

const NOW = new Date('2021-01-28T11:16:21Z');
const PROVIDER_TIME = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/;
const TIME_FIELDS = ['StartTime', 'StartDuration', 'EndTime'] as const;

const byName = (name: ScenarioName, list = scenarios({ timeZone: 'Europe/Moscow', now: NOW })): Scenario => {
  const found = list.find((s) => s.name === name);
  if (!found) throw new Error(`no scenario ${name}`);
  return found;
};
const labels = (s: Scenario) => s.requests.map((r) => r.label);
const events = (s: Scenario) => s.requests.map((r) => JSON.parse(r.body) as Record<string, unknown>);
const isValid = (s: Scenario) => s.name !== 'malformed';

describe('scenarios as data', () => {
  const all = scenarios({ timeZone: 'Europe/Moscow', now: NOW });

  it('builds every scenario, in the documented order, or only the named ones', () => {
    expect(all.map((s) => s.name)).toEqual([...SCENARIO_NAMES]);
    expect(
      scenarios({ timeZone: 'Europe/Moscow', names: ['missed', 'outgoing-busy'] }).map((s) => s.name),
    ).toEqual(['missed', 'outgoing-busy']);
  });

  it('sends only bodies that pass the contract in the valid scenarios, each with its own SessionID', () => {
    for (const scenario of all.filter(isValid)) {
      for (const request of scenario.requests) {
        const parsed = parseCallEvent(JSON.parse(request.body));
        expect({ scenario: scenario.name, label: request.label, ok: parsed.ok }).toEqual({
          scenario: scenario.name,
          label: request.label,
          ok: true,
        });
        expect(JSON.parse(request.body)).toEqual(request.event);
        expect(request.event?.SessionID).toBe(scenario.sessionId);
      }
    }
  });

  it('plays each call in the order of the provider spec', () => {
    expect(labels(byName('parallel-answered', all))).toEqual([
      'CreateIncCall',
      'AttemptIncCallBegin',
      'AttemptIncCallBegin',
      'AttemptIncCallBegin',
      'ChangeIncCall',
      'AttemptIncCallEnd',
      'AttemptIncCallEnd',
      'EndIncCall',
    ]);
    expect(labels(byName('sequential-answered', all))).toEqual([
      'CreateIncCall',
      'AttemptIncCallBegin',
      'AttemptIncCallEnd',
      'AttemptIncCallBegin',
      'ChangeIncCall',
      'EndIncCall',
    ]);
    expect(labels(byName('missed', all))).toEqual([
      'CreateIncCall',
      'AttemptIncCallBegin',
      'AttemptIncCallBegin',
      'AttemptIncCallEnd',
      'AttemptIncCallEnd',
      'MissedIncCall',
    ]);
    expect(labels(byName('outgoing-answered', all))).toEqual(['CreateOutCall', 'EndOutCall']);
    expect(labels(byName('outgoing-busy', all))).toEqual(['CreateOutCall', 'EndOutCall']);
  });

  it('rings three employees in the same second in parallel; the one who answers is not among the unanswered', () => {
    const [, b1, b2, b3, change, end1, end3, end] = events(byName('parallel-answered', all));
    const rung = [b1, b2, b3].map((e) => e?.Called);
    expect(new Set([b1, b2, b3].map((e) => e?.StartTime)).size).toBe(1);
    expect(new Set(rung).size).toBe(3);
    expect(change?.Called).toBe(rung[1]);
    expect([end1?.Called, end3?.Called]).toEqual([rung[0], rung[2]]);
    expect(end).toMatchObject({ Called: rung[1], ResultCode: '200', Duration: expect.any(Number) });
  });

  it('moves on to the next employee in sequence, and answers the one rung last', () => {
    const [, begin1, end1, begin2, change] = events(byName('sequential-answered', all));
    expect(end1?.Called).toBe(begin1?.Called);
    expect(begin2?.Called).not.toBe(begin1?.Called);
    expect(change?.Called).toBe(begin2?.Called);
  });

  it('ends the calls with the result codes of the spec, as strings or, for the busy call, an integer', () => {
    expect(events(byName('missed', all)).at(-1)).toMatchObject({ Duration: 0, ResultCode: '304' });
    expect(events(byName('outgoing-answered', all)).at(-1)).toMatchObject({ ResultCode: '200' });
    expect(events(byName('outgoing-busy', all)).at(-1)).toMatchObject({ Duration: 0, ResultCode: 486 });
  });

  it('stores the events of a valid call in the order they were sent (EventKey order)', () => {
    for (const scenario of all.filter(isValid)) {
      const records = acceptedEvents(scenario).map((event, i) => {
        const parsed = parseCallEvent(event);
        if (!parsed.ok) throw new Error(`${scenario.name} #${i} invalid`);
        return toCallEventRecord(parsed.event, { timeZone: 'Europe/Moscow', receivedAt: NOW, rawBody: '' });
      });
      const sorted = [...records].sort((a, b) => (a.EventKey < b.EventKey ? -1 : 1));
      expect(sorted.map((r) => r.HookType)).toEqual(records.map((r) => r.HookType));
    }
  });

  it('gives every scenario a fresh SessionID, different between runs', () => {
    const again = scenarios({ timeZone: 'Europe/Moscow', now: NOW });
    const ids = [...all, ...again].map((s) => s.sessionId);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids)
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("writes times in the provider's format and zone, the call ending at about now", () => {
    for (const scenario of all.filter(isValid)) {
      for (const event of events(scenario)) {
        for (const field of TIME_FIELDS) {
          if (event[field] !== undefined) expect(event[field]).toMatch(PROVIDER_TIME);
        }
      }
    }
    const end = events(byName('parallel-answered', all)).at(-1);
    expect(end?.EndTime).toBe('2021-01-28 14:16:21');
    const utc = scenarios({ now: NOW, timeZone: 'UTC', names: ['outgoing-busy'] })[0];
    expect(utc && events(utc).at(-1)?.EndTime).toBe('2021-01-28 11:16:21');
    const first = events(byName('sequential-answered', all))[0]?.StartTime as string;
    expect(Date.parse(localTimeToUtcIso(first, 'Europe/Moscow'))).toBe(NOW.getTime() - 123_000);
  });

  it('formats provider times with Intl, across a daylight-saving change', () => {
    expect(providerTime(new Date('2021-03-14T06:59:59Z'), 'America/New_York')).toBe('2021-03-14 01:59:59');
    expect(providerTime(new Date('2021-03-14T07:00:00Z'), 'America/New_York')).toBe('2021-03-14 03:00:00');
    expect(providerTime(new Date('2021-12-31T21:00:00Z'), 'Europe/Moscow')).toBe('2022-01-01 00:00:00');
  });

  it('refuses an unknown time zone', () => {
    expect(() => scenarios({ timeZone: 'Mars/Olympus' })).toThrow('Unknown IANA time zone "Mars/Olympus"');
  });

  it('uses digit-only phone numbers in the provider formats', () => {
    for (const scenario of all.filter(isValid)) {
      for (const event of events(scenario)) {
        for (const field of ['CityNumber', 'Caller', 'Called', 'Redirecting']) {
          if (event[field] !== undefined) expect(event[field]).toMatch(/^\d{10,15}$/);
        }
      }
    }
  });

  it('redelivers every event of a missed call as the exact same body, expecting a duplicate', () => {
    const scenario = byName('redelivery', all);
    expect(scenario.requests).toHaveLength(12);
    for (let i = 0; i < scenario.requests.length; i += 2) {
      const [first, second] = [scenario.requests[i], scenario.requests[i + 1]];
      expect(second?.body).toBe(first?.body);
      expect(first?.expected).toEqual({ httpStatus: 200, status: 'accepted' });
      expect(second?.expected).toEqual({ httpStatus: 200, status: 'duplicate' });
    }
    expect(acceptedEvents(scenario).map((e) => e.HookType)).toEqual(labels(byName('missed', all)));
    expect(events(scenario).at(-1)).toMatchObject({ HookType: 'MissedIncCall', ResultCode: '603-S' });
  });

  it('sends malformed bodies that fail JSON.parse or the contract, each expecting a 400', () => {
    const [notJson, unknownHook, badDate] = byName('malformed', all).requests;
    expect(() => JSON.parse(notJson?.body ?? '')).toThrow(SyntaxError);
    for (const request of [unknownHook, badDate]) {
      const parsed = parseCallEvent(JSON.parse(request?.body ?? ''));
      expect(parsed.ok).toBe(false);
    }
    expect(JSON.parse(badDate?.body ?? '').StartTime).toMatch(/^\d{4}-02-30 /);
    expect(byName('malformed', all).requests.map((r) => r.expected)).toEqual([
      { httpStatus: 400, status: 'rejected', reason: 'invalid-json' },
      { httpStatus: 400, status: 'rejected', reason: 'contract' },
      { httpStatus: 400, status: 'rejected', reason: 'contract' },
    ]);
  });
});

interface Recorded {
  headers: IncomingHttpHeaders;
  body: string;
}

/** Answers like the webhook: 401 without the token, 400 for invalid, 200 accepted, 200 duplicate when seen. */
function fakeWebhook(token: string, options: { dedupe?: boolean } = {}) {
  const recorded: Recorded[] = [];
  const seen = new Set<string>();
  const answer = (body: string, presented: string | undefined): [number, object] => {
    if (presented !== token) return [401, { message: 'Unauthorized' }];
    let json: unknown;
    try {
      json = JSON.parse(body);
    } catch {
      return [400, { status: 'rejected', reason: 'invalid-json' }];
    }
    if (!parseCallEvent(json).ok) return [400, { status: 'rejected', reason: 'contract' }];
    const duplicate = options.dedupe !== false && seen.has(body);
    seen.add(body);
    return [200, { status: duplicate ? 'duplicate' : 'accepted', eventKey: 'k' }];
  };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      recorded.push({ headers: req.headers, body });
      const [status, json] = answer(body, req.headers[TOKEN_HEADER] as string | undefined);
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(json));
    });
  });
  return { server, recorded };
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/call-events`;
}

function capture(env: NodeJS.ProcessEnv = {}, runtimeFile = join(tmpdir(), 'no-such-dir', 'runtime.json')) {
  const out: string[] = [];
  const err: string[] = [];
  const io: SimulateIo = { out: (l) => out.push(l), err: (l) => err.push(l), env, runtimeFile };
  return { io, out, err };
}

describe('playing scenarios against a webhook', () => {
  const token = 'test-token';
  let webhook: ReturnType<typeof fakeWebhook>;
  let url: string;

  beforeEach(async () => {
    webhook = fakeWebhook(token);
    url = await listen(webhook.server);
  });
  afterEach(() => new Promise<void>((resolve) => webhook.server.close(() => resolve())));

  it('posts each body as JSON with the token header, in order, and every answer is the expected one', async () => {
    const all = scenarios({ timeZone: 'Europe/Moscow' });
    for (const scenario of all) {
      const result = await runScenario(scenario, { url, token });
      expect({ name: scenario.name, ok: result.ok }).toEqual({ name: scenario.name, ok: true });
      expect(result.results).toHaveLength(scenario.requests.length);
    }
    const sent = all.flatMap((s) => s.requests.map((r) => r.body));
    expect(webhook.recorded.map((r) => r.body)).toEqual(sent);
    for (const { headers } of webhook.recorded) {
      expect(headers[TOKEN_HEADER]).toBe(token);
      expect(headers['content-type']).toBe('application/json');
    }
  });

  it('reports each answer: HTTP status, status and reason', async () => {
    const [malformed] = scenarios({ timeZone: 'Europe/Moscow', names: ['malformed'] });
    const lines: string[] = [];
    const result = await runScenario(malformed as Scenario, { url, token }, (r) =>
      lines.push(`${r.httpStatus} ${r.reason}`),
    );
    expect(lines).toEqual(['400 invalid-json', '400 contract', '400 contract']);
    expect(result.results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
  });

  it('exits 0 and prints each SessionID and a summary when all answers are as expected', async () => {
    const { io, out, err } = capture();
    expect(await main(['--url', url, '--token', token], io)).toBe(0);
    expect(err).toEqual([]);
    expect(out.at(-1)).toBe('7 scenarios, 39 requests: all answered as expected');
    expect(out.filter((l) => /SessionID [0-9a-f-]{36}/.test(l))).toHaveLength(7);
    expect(out.filter((l) => l.includes('200 duplicate'))).toHaveLength(6);
  });

  it('exits 1 and names the scenario when the webhook answers otherwise (no de-duplication)', async () => {
    const lax = fakeWebhook(token, { dedupe: false });
    const laxUrl = await listen(lax.server);
    const { io, out } = capture();
    try {
      expect(await main(['--url', laxUrl, '--token', token, 'missed', 'redelivery'], io)).toBe(1);
    } finally {
      lax.server.close();
    }
    expect(out.at(-1)).toBe('2 scenarios, 18 requests: not as expected in redelivery');
    expect(out).toContain(`  ✗ ${'CreateIncCall'.padEnd(40)} 200 accepted  (expected 200 duplicate)`);
  });

  it('exits 1 on a wrong token, every request answered 401', async () => {
    const { io, out } = capture();
    expect(await main(['--url', url, '--token', 'wrong', 'outgoing-busy'], io)).toBe(1);
    expect(out.filter((l) => l.includes(' 401 -  (expected 200 accepted)'))).toHaveLength(2);
  });

  it('stops at a webhook that does not answer', async () => {
    const closed = fakeWebhook(token);
    const closedUrl = await listen(closed.server);
    await new Promise<void>((resolve) => closed.server.close(() => resolve()));
    const { io, err } = capture();
    expect(await main(['--url', closedUrl, '--token', token], io)).toBe(1);
    expect(err).toEqual([`Stopped: ${closedUrl} gave no answer; is it running?`]);
  });

  it('takes URL and token from the runtime file that `npm start` writes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simulate-'));
    const file = join(dir, 'runtime.json');
    writeFileSync(file, JSON.stringify(runtime({ webhookUrl: url, token })));
    const { io, out } = capture({}, file);
    expect(await main(['outgoing-answered'], io)).toBe(0);
    expect(out.at(-1)).toBe('1 scenario, 2 requests: all answered as expected');
  });

  it('prefers WEBHOOK_URL and WEBHOOK_TOKEN to the running local mode', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'simulate-'));
    const file = join(dir, 'runtime.json');
    writeFileSync(file, JSON.stringify(runtime({ webhookUrl: 'http://127.0.0.1:9/call-events' })));
    const { io, out } = capture({ WEBHOOK_URL: url, WEBHOOK_TOKEN: token }, file);
    expect(await main(['outgoing-answered'], io)).toBe(0);
    expect(out.at(-1)).toBe('1 scenario, 2 requests: all answered as expected');
  });

  it('says local mode is not running when nothing names a webhook, and how to name one', async () => {
    const { io, err } = capture();
    expect(await main([], io)).toBe(1);
    expect(err).toEqual([
      'local mode is not running (start it with npm start), or pass --url URL --token TOKEN (or set WEBHOOK_URL and WEBHOOK_TOKEN)',
    ]);
    // A file that `npm start` left behind when it stopped says the same.
    const dir = mkdtempSync(join(tmpdir(), 'simulate-'));
    const file = join(dir, 'runtime.json');
    writeFileSync(file, JSON.stringify(runtime({ stoppedAt: '2021-01-28T11:00:00.000Z' })));
    const stopped = capture({}, file);
    expect(await main([], stopped.io)).toBe(1);
    expect(stopped.err).toEqual(err);
  });

  it('refuses an unknown scenario name', async () => {
    const { io, err } = capture();
    expect(await main(['--url', url, '--token', token, 'busy'], io)).toBe(1);
    expect(err[0]).toMatch(/^npm run simulate: unknown scenario busy; choose from parallel-answered, /);
    expect(webhook.recorded).toHaveLength(0);
  });
});

function runtime(overrides: Partial<RuntimeFile> = {}): RuntimeFile {
  return {
    pid: process.pid,
    webhookUrl: 'http://127.0.0.1:3000/call-events',
    token: 'local-token',
    region: 'us-east-1',
    dynamodbEndpoint: 'http://127.0.0.1:8000',
    eventbridgeEndpoint: 'http://127.0.0.1:4010',
    tables: { callEvents: 'CallEvents', rejectedEvents: 'RejectedCallEvents', calls: 'Calls' },
    deliveriesDir: '.local/deliveries',
    eventsFile: '.local/events.ndjson',
    timeZone: 'Europe/Moscow',
    eventBusName: 'call-events',
    eventSource: 'telephony.call-events',
    defaultCountry: 'RU',
    ...overrides,
  };
}

describe('where the simulator sends', () => {
  it('prefers flags, then WEBHOOK_URL and WEBHOOK_TOKEN, then the running local mode', () => {
    const env = { WEBHOOK_URL: 'https://api.example/prod/call-events', WEBHOOK_TOKEN: 'env-token' };
    expect(resolveTarget({}, {}, runtime())).toEqual({ url: runtime().webhookUrl, token: 'local-token' });
    expect(resolveTarget({}, env, runtime())).toEqual({ url: env.WEBHOOK_URL, token: 'env-token' });
    expect(resolveTarget({}, env, undefined)).toEqual({ url: env.WEBHOOK_URL, token: 'env-token' });
    expect(resolveTarget({ url: 'https://other/call-events', token: 'flag' }, env, runtime())).toEqual({
      url: 'https://other/call-events',
      token: 'flag',
    });
    expect(resolveTarget({ token: 'flag' }, {}, runtime())).toEqual({
      url: runtime().webhookUrl,
      token: 'flag',
    });
  });

  it('does not send the local token to another URL', () => {
    const other = 'https://api.example/prod/call-events';
    expect(resolveTarget({ url: other }, { WEBHOOK_TOKEN: 'env-token' }, runtime())).toEqual({
      url: other,
      token: 'env-token',
    });
    expect(() => resolveTarget({ url: other }, {}, runtime())).toThrow(
      '--url needs --token TOKEN (or WEBHOOK_TOKEN)',
    );
    expect(() => resolveTarget({}, { WEBHOOK_URL: other }, runtime())).toThrow(
      'WEBHOOK_URL needs --token TOKEN (or WEBHOOK_TOKEN)',
    );
    expect(resolveTarget({ url: runtime().webhookUrl }, {}, runtime()).token).toBe('local-token');
  });
});

describe('the runtime file', () => {
  it('reads a valid file and returns undefined when there is none', () => {
    const dir = mkdtempSync(join(tmpdir(), 'runtime-file-'));
    const file = join(dir, 'runtime.json');
    expect(readRuntimeFile(file)).toBeUndefined();
    writeFileSync(file, JSON.stringify(runtime()));
    expect(readRuntimeFile(file)).toEqual(runtime());
  });

  it('names the first bad field of a malformed file', () => {
    expect(() => parseRuntimeFile('{', 'rt.json')).toThrow(
      'rt.json is not valid JSON: restart `npm start` to rewrite it',
    );
    const noTable = { ...runtime(), tables: { callEvents: 'CallEvents' } };
    expect(() => parseRuntimeFile(JSON.stringify(noTable), 'rt.json')).toThrow(
      /^rt\.json is malformed: tables\.rejectedEvents: /,
    );
    const badUrl = { ...runtime(), webhookUrl: 'not a url' };
    expect(() => parseRuntimeFile(JSON.stringify(badUrl), 'rt.json')).toThrow(
      /^rt\.json is malformed: webhookUrl: /,
    );
  });
});
