/**
 * The webhook's security over real HTTP in local mode: no token, no storage, whatever the
 * request; the token and the callers' phone numbers never reach the functions' logs (nor
 * the tables), whichever way the token came and whatever the body was; the ingest gets the
 * exact bytes sent, and the front door holds no more of a body than the ingest would read.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { INGEST_ENV } from '../../lambda/config/environment';
import { SETTINGS } from '../../lambda/config/settings';
import { TOKEN_HEADER } from '../../lambda/config/webhook';
import { freshSpecExample } from '../../lambda/contract/spec-examples';
import { acceptedEvents, runScenario, scenarios } from '../../scripts/lib/scenarios';
import { type Answer, startTestRuntime, type TestRuntime } from '../support/test-runtime';

const WRONG_TOKEN = `wrong-${randomUUID()}`;

let t: TestRuntime;

beforeAll(async () => {
  t = await startTestRuntime();
}, 120_000);

afterAll(async () => {
  await t?.stop();
});

/** Every item of both tables, as text. */
async function tablesText(): Promise<string> {
  const items = await Promise.all([
    t.scan(t.runtime.tables.callEvents),
    t.scan(t.runtime.tables.rejectedEvents),
  ]);
  return JSON.stringify(items);
}

const countItems = async () => ({
  callEvents: (await t.scan(t.runtime.tables.callEvents)).length,
  rejected: (await t.scan(t.runtime.tables.rejectedEvents)).length,
});

describe('without the right token', () => {
  const token = () => t.runtime.token;
  it.each<[string, () => Record<string, string>, () => string]>([
    ['no token at all', () => ({}), () => ''],
    ['a wrong X-Webhook-Token', () => ({ [TOKEN_HEADER]: WRONG_TOKEN }), () => ''],
    ['an empty X-Webhook-Token', () => ({ [TOKEN_HEADER]: '' }), () => ''],
    ['the token with one character more', () => ({ [TOKEN_HEADER]: `${token()}x` }), () => ''],
    ['the token with its last character cut', () => ({ [TOKEN_HEADER]: token().slice(0, -1) }), () => ''],
    ['a wrong bearer token', () => ({ Authorization: `Bearer ${WRONG_TOKEN}` }), () => ''],
    ['the token under another scheme', () => ({ Authorization: `Basic ${token()}` }), () => ''],
    ['the token in a header nobody reads', () => ({ 'X-Api-Key': token() }), () => ''],
    ['a wrong ?token=', () => ({}), () => `?token=${WRONG_TOKEN}`],
    ['the token under another query name', () => ({}), () => `?key=${encodeURIComponent(token())}`],
  ])('%s: 401 with no detail, and nothing stored, quarantined or published', async (_, headers, query) => {
    const sessionId = randomUUID();
    const bodies = [
      freshSpecExample('MissedIncCall', sessionId),
      `{"SessionID": "${sessionId}", "HookType": "TransferIncCall"`,
      JSON.stringify({ SessionID: sessionId, Note: 'x'.repeat(40_000) }),
    ];
    const before = await countItems();
    const receivedBefore = t.runtime.eventBridge.stats().received;

    for (const body of bodies) {
      const answer = await t.post(body, headers(), query());
      expect(answer).toEqual({ status: 401, json: { message: 'Unauthorized' } });
    }
    await t.runtime.drained();

    expect(await countItems()).toEqual(before);
    expect(t.runtime.eventBridge.stats().received).toBe(receivedBefore);
    expect(await tablesText()).not.toContain(sessionId);
  });
});

describe('the logs of both functions', () => {
  it('never hold the token, a wrong token or a phone number, whatever was sent', async () => {
    const target = { url: t.runtime.webhookUrl, token: t.runtime.token };
    const calls = scenarios({ timeZone: t.timeZone });
    const results = await Promise.all(calls.map((call) => runScenario(call, target)));
    expect(results.filter((r) => !r.ok).map((r) => r.scenario.name)).toEqual([]);
    // The other ways a token comes, and the answers that log differently: 401, 413, 400.
    const extra = [
      freshSpecExample('CreateIncCall'),
      freshSpecExample('EndIncCall'),
      freshSpecExample('ChangeIncCall'),
    ];
    const tooLarge = JSON.stringify({ ...JSON.parse(extra[0] as string), Note: 'x'.repeat(40_000) });
    const answers = [
      await t.post(extra[0] as string, { Authorization: `Bearer ${t.runtime.token}` }),
      await t.post(extra[1] as string, {}, `?token=${encodeURIComponent(t.runtime.token)}`),
      await t.post(extra[2] as string, { [TOKEN_HEADER]: WRONG_TOKEN }),
      await t.post(extra[2] as string, {}, `?token=${WRONG_TOKEN}`),
      await t.post(tooLarge),
      await t.post((extra[2] as string).slice(0, -2)),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 200, 401, 401, 413, 400]);
    await t.runtime.drained();

    const bodies = [...calls.flatMap((call) => call.requests.map((r) => r.body)), ...extra];
    const phoneNumbers = new Set(
      bodies.flatMap((body) =>
        [...body.matchAll(/"(?:CityNumber|Caller|Called|Redirecting)":\s*"([^"]+)"/g)].map(
          (m) => m[1] as string,
        ),
      ),
    );
    expect(phoneNumbers.size).toBeGreaterThanOrEqual(10);

    // Every function has run (the sweep on its schedule, here at once) and logged what it did.
    for (const schedule of t.runtime.schedules) await schedule.runNow();
    await t.runtime.drained(60_000);
    const logsDir = join(t.runtime.stateDir, 'logs');
    const files = readdirSync(logsDir).filter((file) => file.endsWith('.log'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const logs = files.map((file) => readFileSync(join(logsDir, file), 'utf8'));
    // The logs are there, JSON lines (log lines, and EMF records: the ingest's carry each event's
    // identifiers), and name the calls: the absences below mean something.
    for (const log of logs) expect(log).toMatch(/^\{"(level|_aws)":/m);
    for (const call of calls.filter((c) => acceptedEvents(c).length > 0)) {
      expect(logs.join('\n')).toContain(call.sessionId);
    }
    for (const [i, file] of files.entries()) {
      const log = logs[i] as string;
      expect({ file, token: log.includes(t.runtime.token) }).toEqual({ file, token: false });
      expect({ file, wrongToken: log.includes(WRONG_TOKEN) }).toEqual({ file, wrongToken: false });
      expect({ file, numbers: [...phoneNumbers].filter((n) => log.includes(n)) }).toEqual({
        file,
        numbers: [],
      });
    }
    // Nor is the token stored anywhere, even when it came in the URL.
    const tables = await tablesText();
    expect(tables.includes(t.runtime.token)).toBe(false);
    expect(tables.includes(WRONG_TOKEN)).toBe(false);
  }, 60_000);
});

/**
 * Sends the headers and the first part of a body that is far larger, declared by its Content-Length
 * (10 MiB) or, chunked, by nothing; resolves with the answer.
 */
function answerToPartialBody(
  headers: Record<string, string>,
  part: Buffer,
  framing: 'content-length' | 'chunked' = 'content-length',
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const length = framing === 'chunked' ? {} : { 'content-length': String(10 * 1024 * 1024) };
    const req = request(t.runtime.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...length, ...headers },
    });
    req.on('error', reject);
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      res.on('end', () => {
        req.destroy();
        resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as Record<string, unknown> });
      });
    });
    // The rest of the body is never sent: only an answer given without it ends this.
    req.write(part);
  });
}

async function quarantined(requestId: unknown): Promise<Record<string, unknown> | undefined> {
  const items = await t.scan(t.runtime.tables.rejectedEvents);
  return items.find((item) => item.RequestId === requestId);
}

describe('the bytes the ingest sees', () => {
  it('invalid UTF-8 is refused with 400 and quarantined byte for byte, never stored with U+FFFD', async () => {
    const sessionId = randomUUID();
    const [head, tail] = freshSpecExample('MissedIncCall', `${sessionId}-X`).split('-X') as [string, string];
    const body = Buffer.concat([Buffer.from(head), Buffer.from([0xff, 0xfe]), Buffer.from(tail)]);

    const response = await fetch(t.runtime.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', [TOKEN_HEADER]: t.runtime.token },
      body,
    });
    const answer = (await response.json()) as Record<string, unknown>;

    expect({ status: response.status, reason: answer.reason }).toEqual({
      status: 400,
      reason: 'invalid-encoding',
    });
    expect(await quarantined(answer.requestId)).toMatchObject({
      Reason: 'invalid-encoding',
      BodyEncoding: 'base64',
      Body: body.toString('base64'),
      BodyBytes: body.length,
      Truncated: false,
    });
    expect(await tablesText()).not.toContain('\ufffd');
    expect(await t.stored(sessionId)).toEqual([]);
  });

  it('UTF-8 text beyond ASCII is stored as sent: RawBody is the exact body', async () => {
    const sessionId = randomUUID();
    const body = freshSpecExample('MissedIncCall', sessionId).replace('{', '{\n  "Note": "Звонок ✓ 📞",');

    const answer = await t.post(body);

    expect(answer).toMatchObject({ status: 200, json: { status: 'accepted' } });
    const [item] = await t.stored(sessionId);
    expect(item?.RawBody).toBe(body);
    expect(item?.Note).toBe('Звонок ✓ 📞');
  });

  it('a body far over the limit is answered 413 once the limit is passed, without waiting for the rest', async () => {
    const limit = Number(
      t.runtime.environments.ingest[INGEST_ENV.maxBodyBytes] ?? SETTINGS.maxBodyBytes.default,
    );
    const part = Buffer.alloc(limit + 4096, 'x');

    const answer = await answerToPartialBody({ [TOKEN_HEADER]: t.runtime.token }, part);

    // The limit, and the size the request declares: not the limit + 1 bytes that reached the function.
    expect(answer).toMatchObject({
      status: 413,
      json: {
        reason: 'too-large',
        message: `The body is over the limit of ${limit} bytes (${limit / 1024} KiB): its Content-Length is 10485760 bytes (10 MiB)`,
        limitBytes: limit,
      },
    });
    expect(await quarantined(answer.json.requestId)).toMatchObject({
      Reason: 'too-large',
      Truncated: true,
      BodyBytes: limit + 1,
    });
  });

  it('a chunked body over the limit, whose size nothing declares, is told the limit and no size', async () => {
    const limit = Number(
      t.runtime.environments.ingest[INGEST_ENV.maxBodyBytes] ?? SETTINGS.maxBodyBytes.default,
    );
    const part = Buffer.alloc(limit + 4096, 'x');

    const answer = await answerToPartialBody({ [TOKEN_HEADER]: t.runtime.token }, part, 'chunked');

    expect(answer).toMatchObject({
      status: 413,
      json: {
        message: `The body is over the limit of ${limit} bytes (${limit / 1024} KiB)`,
        limitBytes: limit,
      },
    });
    expect(JSON.stringify(answer.json)).not.toContain(String(limit + 1));
    expect(await quarantined(answer.json.requestId)).toMatchObject({
      Reason: 'too-large',
      Truncated: true,
      Body: part
        .subarray(0, limit + 1)
        .toString('base64')
        .slice(0, Math.ceil(limit / 3) * 4),
    });
  });

  it('a body without the right token is answered 401 before any of it is read', async () => {
    const before = await countItems();

    const answer = await answerToPartialBody({ [TOKEN_HEADER]: WRONG_TOKEN }, Buffer.alloc(1024, 'x'));

    expect(answer).toEqual({ status: 401, json: { message: 'Unauthorized' } });
    expect(await countItems()).toEqual(before);
  });
});
