/**
 * The webhook's security over real HTTP in local mode: no token, no storage, whatever the
 * request; and the token and the callers' phone numbers never reach the functions' logs (nor
 * the tables), whichever way the token came and whatever the body was.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { TOKEN_HEADER } from '../../lambda/contract/runtime-config';
import { freshSpecExample } from '../../lambda/contract/spec-examples';
import { acceptedEvents, runScenario, scenarios } from '../../scripts/lib/scenarios';
import { startTestRuntime, type TestRuntime } from '../support/test-runtime';

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
    const calls = scenarios();
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

    const logsDir = join(t.runtime.stateDir, 'logs');
    const files = readdirSync(logsDir).filter((file) => file.endsWith('.log'));
    expect(files.length).toBeGreaterThanOrEqual(2);
    const logs = files.map((file) => readFileSync(join(logsDir, file), 'utf8'));
    // The logs are there, one JSON line per outcome, and name the calls: the absences below mean something.
    for (const log of logs) expect(log).toMatch(/^\{"level":"INFO","message":"/m);
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
