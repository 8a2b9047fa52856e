/**
 * The request log of the `npm start` terminal: one line per webhook request, refused ones
 * included, so that what a PBX (or `npm run send`) sent and how it was answered is seen at once.
 * A line carries the HookType and SessionID, never a phone number or the token.
 */
import type { RequestSummary } from './webhook-server';

/** Terminal colours (SGR), used only when {@link useColor} says so. */
const SGR = { red: 31, green: 32, yellow: 33, dim: 2 } as const;

/**
 * Colour when writing to a terminal that shows it, unless `NO_COLOR` is set to anything
 * non-empty (https://no-color.org) or the terminal is `dumb`; `FORCE_COLOR` (non-empty, not `0`)
 * turns it on even into a pipe.
 */
export function useColor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR) return false;
  if (env.FORCE_COLOR && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && env.TERM !== 'dumb';
}

const paint = (color: boolean, code: number, text: string) =>
  color ? `\u001b[${code}m${text}\u001b[0m` : text;

/** `HH:MM:SS.mmm` of this machine's clock: the terminal is read beside other local logs. */
function clock(at: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(at.getHours())}:${pad(at.getMinutes())}:${pad(at.getSeconds())}.${pad(at.getMilliseconds(), 3)}`;
}

/**
 * `12:04:31.207  POST /call-events  EndIncCall  304a17b0-…  200 accepted  14 ms`: time, method
 * and path, HookType and SessionID (`-` when the body has none), status and outcome, duration.
 * 2xx is green, 4xx yellow, 5xx red.
 */
export function formatRequest(summary: RequestSummary, options: { color: boolean; at?: Date }): string {
  const { color } = options;
  const statusColor = summary.status >= 500 ? SGR.red : summary.status >= 400 ? SGR.yellow : SGR.green;
  const answer = [String(summary.status), summary.outcome].filter(Boolean).join(' ');
  return [
    paint(color, SGR.dim, clock(options.at ?? new Date())),
    `${summary.method} ${summary.path}`,
    (summary.hookType ?? '-').padEnd(19),
    (summary.sessionId ?? '-').padEnd(36),
    paint(color, statusColor, answer),
    paint(color, SGR.dim, `${summary.ms} ms`),
  ].join('  ');
}
