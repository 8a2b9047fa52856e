/**
 * Validation throughput, run as its own bundle (built with the functions' esbuild settings)
 * under each Node.js: `parseCallEvent` over the spec's examples, on already-parsed objects
 * and on raw strings with JSON.parse, beside JSON.parse alone. Prints one JSON line.
 */

import { HOOK_TYPES } from '../../lambda/contract/hook-types';
import { parseCallEvent } from '../../lambda/contract/schema';
import { freshSpecExample } from '../../lambda/contract/spec-examples';

const ROUNDS = Number(process.env.BENCH_VALIDATION_ROUNDS ?? 9);
const ROUND_MS = Number(process.env.BENCH_VALIDATION_ROUND_MS ?? 200);

// The example mix: each HookType's spec example, with a few SessionIDs so no input repeats too often.
const bodies = Array.from({ length: 4 }, () => HOOK_TYPES.map((t) => freshSpecExample(t))).flat();
const objects = bodies.map((b) => JSON.parse(b) as unknown);
for (const object of objects) {
  const result = parseCallEvent(object);
  if (!result.ok) throw new Error(`A spec example does not validate: ${JSON.stringify(result.issues)}`);
}

let sink = 0;
const modes: Record<string, (i: number) => void> = {
  'json-parse': (i) => {
    sink += (JSON.parse(bodies[i % bodies.length] as string) as object) ? 1 : 0;
  },
  'parse-objects': (i) => {
    sink += parseCallEvent(objects[i % objects.length]).ok ? 1 : 0;
  },
  'parse-strings': (i) => {
    sink += parseCallEvent(JSON.parse(bodies[i % bodies.length] as string)).ok ? 1 : 0;
  },
};

/** Events per second over about `ms` milliseconds (the clock is read every 256 events). */
function run(fn: (i: number) => void, ms: number): number {
  const start = performance.now();
  let n = 0;
  let now = start;
  while (now - start < ms) {
    for (let k = 0; k < 256; k++) fn(n++);
    now = performance.now();
  }
  return (n / (now - start)) * 1000;
}

for (const fn of Object.values(modes)) run(fn, 300); // warm-up: let the JIT settle
const results: Record<string, number[]> = Object.fromEntries(Object.keys(modes).map((mode) => [mode, []]));
for (let round = 0; round < ROUNDS; round++) {
  for (const [mode, fn] of Object.entries(modes)) results[mode]?.push(run(fn, ROUND_MS));
}
process.stdout.write(`${JSON.stringify({ node: process.version, sink, results })}\n`);
