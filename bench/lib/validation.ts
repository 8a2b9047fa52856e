/** Runs the validation worker bundle under each Node.js and summarises events per second. */
import type { NodeBinary } from './node-versions';
import { runToEnd } from './processes';
import { median } from './stats';

export interface ValidationSummary {
  node: string;
  rounds: number;
  /** Median over rounds, events per second. */
  eventsPerSecond: { jsonParse: number; parseObjects: number; parseStrings: number };
  /** The best round of parseCallEvent on objects: other work on the machine only ever slows a round down. */
  bestParseObjects: number;
}

export async function measureValidation(
  nodes: NodeBinary[],
  bundlePath: string,
): Promise<ValidationSummary[]> {
  const out: ValidationSummary[] = [];
  for (const node of nodes) {
    const stdout = await runToEnd(node.path, [bundlePath], {
      env: { PATH: process.env.PATH ?? '', TZ: ':UTC' },
      timeoutMs: 60_000,
    });
    const { results } = JSON.parse(stdout.trim().split('\n').pop() as string) as {
      results: Record<'json-parse' | 'parse-objects' | 'parse-strings', number[]>;
    };
    out.push({
      node: node.version,
      rounds: results['parse-objects'].length,
      eventsPerSecond: {
        jsonParse: Math.round(median(results['json-parse'])),
        parseObjects: Math.round(median(results['parse-objects'])),
        parseStrings: Math.round(median(results['parse-strings'])),
      },
      bestParseObjects: Math.round(Math.max(...results['parse-objects'])),
    });
  }
  return out;
}
