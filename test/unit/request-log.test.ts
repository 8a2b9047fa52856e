/** The request log of the `npm start` terminal: one line per request, coloured only where it can be seen. */
import { formatRequest, useColor } from '../../local/request-log';

const at = new Date(2026, 11, 2, 9, 5, 7, 42);
const accepted = {
  method: 'POST',
  path: '/call-events',
  status: 200,
  ms: 14,
  hookType: 'EndIncCall',
  sessionId: '304a17b0-03b4-42cc-bc42-56ff809d0482',
  outcome: 'accepted',
};

describe('a request line', () => {
  it('has the time, the method and path, HookType, SessionID, status with outcome, and duration', () => {
    const line = formatRequest(accepted, { color: false, at });
    expect(line).toMatch(
      /^09:05:07\.042 {2}POST \/call-events {2}EndIncCall +304a17b0-03b4-42cc-bc42-56ff809d0482 {2}200 accepted {2}14 ms$/,
    );
  });

  it('shows a refused request without a body as dashes, with its status', () => {
    const line = formatRequest(
      { method: 'POST', path: '/call-events', status: 401, ms: 3, outcome: 'rejected unauthorized' },
      { color: false, at },
    );
    expect(line).toMatch(/POST \/call-events {2}- +- +401 rejected unauthorized {2}3 ms$/);
  });

  it('is plain text without colour, and colours the status by class with it', () => {
    expect(formatRequest(accepted, { color: false, at })).not.toContain('\u001b[');
    expect(formatRequest(accepted, { color: true, at })).toContain('\u001b[32m200 accepted\u001b[0m');
    expect(formatRequest({ ...accepted, status: 400 }, { color: true, at })).toContain('\u001b[33m400');
    expect(formatRequest({ ...accepted, status: 502 }, { color: true, at })).toContain('\u001b[31m502');
  });
});

describe('whether to colour', () => {
  it('colours a terminal, not a pipe or file', () => {
    expect(useColor({ isTTY: true }, {})).toBe(true);
    expect(useColor({ isTTY: false }, {})).toBe(false);
    expect(useColor({}, {})).toBe(false);
  });

  it('never with NO_COLOR set to anything, nor on a dumb terminal', () => {
    expect(useColor({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(useColor({ isTTY: true }, { NO_COLOR: 'false' })).toBe(false);
    expect(useColor({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    // An empty NO_COLOR is as if unset (no-color.org).
    expect(useColor({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
  });

  it('FORCE_COLOR colours a pipe too, unless it is 0 or NO_COLOR says no', () => {
    expect(useColor({ isTTY: false }, { FORCE_COLOR: '1' })).toBe(true);
    expect(useColor({ isTTY: false }, { FORCE_COLOR: '0' })).toBe(false);
    expect(useColor({ isTTY: false }, { FORCE_COLOR: '1', NO_COLOR: '1' })).toBe(false);
  });
});
