/** The targets, judged on the run's figures, and the table printed at the end of `npm run bench`. */
import { type Bundle, type BundleName, type Bundles, DEPLOYED_BUNDLES } from './bundles';
import type { CallReportSummary } from './call-report';
import type { ColdStartSummary } from './cold-start';
import type { EndToEndSummary } from './e2e';
import type { WarmSummary } from './invoke';
import { median, round } from './stats';
import type { ValidationSummary } from './validation';

export const KIB = 1024;

/** The floor each function is compared with. */
const FLOOR_OF: Partial<Record<BundleName, BundleName>> = {
  ingest: 'put-item',
  'ingest-pseudonymous': 'put-item',
  publish: 'put-events',
  project: 'get-query-put-query',
  sweep: 'query-query',
};

/** The import targets, as ratios against each function's floor in the same run. */
export const IMPORT_LIMITS = { ingest: 1.15, publish: 1.1, project: 1.3, sweep: 1.3 } as const;

/**
 * The phone library: only the projector and the pseudonymous ingest need it; the (plain) ingest
 * and the publisher must not carry it.
 */
const PHONE_PACKAGES = ['libphonenumber-js'];

export interface Target {
  name: string;
  /** Which Node.js produced the figure (`-` for sizes). */
  node: string;
  value: number;
  limit: number;
  unit: string;
  /** `max`: value ≤ limit; `min`: value ≥ limit. */
  kind: 'max' | 'min';
  met: boolean;
}

export interface ImportRatios {
  node: string;
  /** ingest median ÷ put-item (DocumentClient Put) floor median. */
  ingest: number;
  /** publish median ÷ put-events (PutEvents) floor median. */
  publish: number;
  /** project median ÷ get-query-put-query (Get, Query, Put, index Query) floor median. */
  project: number;
  /** sweep median ÷ query-query (two index Queries) floor median. */
  sweep: number;
  /** The put-item floor with the SDK from node_modules (as the runtime's copy) ÷ the bundled floor. */
  runtimeSdkVsBundled: number;
  /** What the inlined (lazily initialised) Secrets Manager client adds to the ingest's import, ms. */
  secretsManagerMs: number;
  /** What a first Intl.DateTimeFormat costs (intl yardstick − hello), ms: what reading times through Intl would add. */
  icuMs: number;
}

/**
 * Ratios of import medians, each taken over the rounds pairwise: a run of the function and
 * the run of its floor just before it share the machine's load of that moment, so the median
 * of the per-round ratios is steadier than the ratio of the medians.
 */
export function importRatios(coldStarts: ColdStartSummary[]): ImportRatios[] {
  const nodes = [...new Set(coldStarts.map((c) => c.node))];
  return nodes.map((node) => {
    const samples = (bundle: BundleName) =>
      coldStarts.find((c) => c.node === node && c.bundle === bundle)?.importSamplesMs ?? [];
    const paired = (f: (at: (bundle: BundleName) => number) => number) => {
      const rounds = samples('hello').length;
      return round(median(Array.from({ length: rounds }, (_, i) => f((b) => samples(b)[i] ?? Number.NaN))));
    };
    return {
      node,
      ingest: paired((at) => at('ingest') / at('put-item')),
      publish: paired((at) => at('publish') / at('put-events')),
      project: paired((at) => at('project') / at('get-query-put-query')),
      sweep: paired((at) => at('sweep') / at('query-query')),
      runtimeSdkVsBundled: paired((at) => at('put-item-runtime-sdk') / at('put-item')),
      secretsManagerMs: paired((at) => at('ingest') - at('ingest-without-secrets-manager')),
      icuMs: paired((at) => at('intl') - at('hello')),
    };
  });
}

/** Pseudonymous mode's ingest against the plain one, measured in the same run. */
export interface PseudonymousCost {
  bundle: {
    plainBytes: number;
    pseudonymousBytes: number;
    /** pseudonymous ÷ plain. */
    ratio: number;
    plainGzipBytes: number;
    pseudonymousGzipBytes: number;
    gzipRatio: number;
    /** libphonenumber-js in the pseudonymous bundle, and its share of the bundle's bytes. */
    phoneLibraryBytes: number;
    phoneLibraryShare: number;
  };
  byNode: {
    node: string;
    /** Medians in ms; `ratio` is the median over the rounds of the ratio within a round. */
    import: { plainMs: number; pseudonymousMs: number; ratio: number };
    firstInvocation: { plainMs: number; pseudonymousMs: number; ratio: number };
    /** Import plus the first invocation, per fresh process. */
    coldStart: { plainMs: number; pseudonymousMs: number; ratio: number };
    /** Warm, pooled over the children: CPU mean per invocation (µs) and latency p50 (ms). */
    warm: {
      plainCpuMeanUs: number;
      pseudonymousCpuMeanUs: number;
      cpuRatio: number;
      plainP50Ms: number;
      pseudonymousP50Ms: number;
      p50Ratio: number;
    };
  }[];
}

export function pseudonymousCost(
  bundles: Bundles,
  coldStarts: ColdStartSummary[],
  warm: WarmSummary[],
): PseudonymousCost {
  const plain = bundles.byName.ingest;
  const pseudonymous = bundles.byName['ingest-pseudonymous'];
  const phoneLibraryBytes = (pseudonymous.packages ?? [])
    .filter((p) => PHONE_PACKAGES.includes(p.name))
    .reduce((sum, p) => sum + p.bytes, 0);
  const nodes = [...new Set(coldStarts.map((c) => c.node))];
  return {
    bundle: {
      plainBytes: plain.bytes,
      pseudonymousBytes: pseudonymous.bytes,
      ratio: round(pseudonymous.bytes / plain.bytes),
      plainGzipBytes: plain.gzipBytes,
      pseudonymousGzipBytes: pseudonymous.gzipBytes,
      gzipRatio: round(pseudonymous.gzipBytes / plain.gzipBytes),
      phoneLibraryBytes,
      phoneLibraryShare: round(phoneLibraryBytes / pseudonymous.bytes, 3),
    },
    byNode: nodes.map((node) => {
      const cold = (bundle: BundleName) => coldStarts.find((c) => c.node === node && c.bundle === bundle);
      const [a, b] = [cold('ingest'), cold('ingest-pseudonymous')];
      const series = (c: ColdStartSummary | undefined, of: 'import' | 'first' | 'both') =>
        (c?.importSamplesMs ?? []).map((importMs, i) => {
          const firstMs = c?.firstSamplesMs[i] ?? Number.NaN;
          return of === 'import' ? importMs : of === 'first' ? firstMs : importMs + firstMs;
        });
      const compare = (of: 'import' | 'first' | 'both') => {
        const [p, q] = [series(a, of), series(b, of)];
        return {
          plainMs: round(median(p)),
          pseudonymousMs: round(median(q)),
          ratio: round(median(p.map((x, i) => (q[i] ?? Number.NaN) / x))),
        };
      };
      const w = (bundle: BundleName) => warm.find((x) => x.node === node && x.bundle === bundle);
      const [wa, wb] = [w('ingest'), w('ingest-pseudonymous')];
      return {
        node,
        import: compare('import'),
        firstInvocation: compare('first'),
        coldStart: compare('both'),
        warm: {
          plainCpuMeanUs: wa?.cpuMeanUs ?? Number.NaN,
          pseudonymousCpuMeanUs: wb?.cpuMeanUs ?? Number.NaN,
          cpuRatio: round((wb?.cpuMeanUs ?? Number.NaN) / (wa?.cpuMeanUs ?? Number.NaN)),
          plainP50Ms: wa?.p50Ms ?? Number.NaN,
          pseudonymousP50Ms: wb?.p50Ms ?? Number.NaN,
          p50Ratio: round((wb?.p50Ms ?? Number.NaN) / (wa?.p50Ms ?? Number.NaN)),
        },
      };
    }),
  };
}

function target(t: Omit<Target, 'met'>): Target {
  return { ...t, met: t.kind === 'max' ? t.value <= t.limit : t.value >= t.limit };
}

export function judge(
  bundles: Bundles,
  ratios: ImportRatios[],
  warm: WarmSummary[],
  validation: ValidationSummary[],
): Target[] {
  const targets: Target[] = [];
  for (const r of ratios) {
    targets.push(
      target({
        name: 'ingest import ÷ floor',
        node: r.node,
        value: r.ingest,
        limit: IMPORT_LIMITS.ingest,
        unit: '×',
        kind: 'max',
      }),
      target({
        name: 'publish import ÷ floor',
        node: r.node,
        value: r.publish,
        limit: IMPORT_LIMITS.publish,
        unit: '×',
        kind: 'max',
      }),
      target({
        name: 'project import ÷ floor',
        node: r.node,
        value: r.project,
        limit: IMPORT_LIMITS.project,
        unit: '×',
        kind: 'max',
      }),
      target({
        name: 'sweep import ÷ floor',
        node: r.node,
        value: r.sweep,
        limit: IMPORT_LIMITS.sweep,
        unit: '×',
        kind: 'max',
      }),
    );
  }
  targets.push(
    target({
      name: 'ingest bundle',
      node: '-',
      value: round(bundles.byName.ingest.bytes / KIB, 1),
      limit: 370,
      unit: 'KiB',
      kind: 'max',
    }),
    target({
      name: 'publish bundle',
      node: '-',
      value: round(bundles.byName.publish.bytes / KIB, 1),
      limit: 310,
      unit: 'KiB',
      kind: 'max',
    }),
  );
  for (const w of warm.filter((s) => s.bundle === 'ingest' || s.bundle === 'publish')) {
    targets.push(
      target({
        name: `${w.bundle} warm CPU per invocation`,
        node: w.node,
        value: round(w.cpuMeanUs / 1000, 3),
        limit: 1.5,
        unit: 'ms',
        kind: 'max',
      }),
    );
  }
  for (const v of validation) {
    targets.push(
      target({
        name: 'validation (parsed objects)',
        node: v.node,
        value: v.eventsPerSecond.parseObjects,
        limit: 1_000_000,
        unit: 'events/s',
        kind: 'min',
      }),
    );
  }
  return targets;
}

/** What must hold for the figures to mean anything; each failure is a line. */
export function checks(
  bundles: Bundles,
  coldStarts: ColdStartSummary[],
  warm: WarmSummary[],
  endToEnd: EndToEndSummary | undefined,
  callReport?: CallReportSummary,
): string[] {
  const problems: string[] = [];
  for (const [name, same] of Object.entries(bundles.sameAsStack)) {
    if (!same) problems.push(`the analysis build of ${name} differs from the stack's bundle`);
  }
  for (const name of DEPLOYED_BUNDLES) {
    const missing = bundles.byName[name].staticExternalImports ?? [];
    if (missing.length > 0)
      problems.push(`${name} imports ${missing.join(', ')} statically but does not bundle it`);
  }
  for (const name of ['ingest', 'publish'] as const) {
    const carried = (bundles.byName[name].packages ?? []).filter((p) => PHONE_PACKAGES.includes(p.name));
    for (const p of carried)
      problems.push(
        `${name} carries ${p.name} (${p.bytes} bytes), which only the projector and the pseudonymous ingest need`,
      );
  }
  // The pseudonymous ingest without the phone library would not be the pseudonymous entry.
  const pseudonymousPackages = (bundles.byName['ingest-pseudonymous'].packages ?? []).map((p) => p.name);
  for (const name of PHONE_PACKAGES.filter((p) => !pseudonymousPackages.includes(p)))
    problems.push(`ingest-pseudonymous does not carry ${name}: not the pseudonymous entry?`);
  for (const c of coldStarts) {
    if (c.failures > 0) problems.push(`${c.node} ${c.bundle}: ${c.failures} first invocation(s) failed`);
  }
  for (const w of warm) {
    for (const p of w.problems) problems.push(`${w.node} ${w.bundle}: ${p}`);
  }
  if (endToEnd && !endToEnd.ok) problems.push(`end to end: ${endToEnd.problems.join('; ')}`);
  for (const p of callReport?.problems ?? []) problems.push(`report: ${p}`);
  return problems;
}

const n = (x: number) => x.toLocaleString('en-US');

function table(head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => (typeof c === 'number' ? n(c) : c)))];
  const widths = head.map((_, i) => Math.max(...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: (string | number)[]) =>
    r
      .map((c, i) => (i === 0 ? String(c).padEnd(widths[i] ?? 0) : String(c).padStart(widths[i] ?? 0)))
      .join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

function topPackages(bundle: Bundle, count: number): string {
  return (bundle.packages ?? [])
    .slice(0, count)
    .map((p) => `${p.name} ${round(p.bytes / KIB, 1)}`)
    .join(', ');
}

const MIB = 1024 * KIB;

/** The report phase's table: one row per period, the report against its floor, and what it read. */
export function formatCallReport(r: CallReportSummary): string {
  const lines = [
    `The call-centre report over ${n(r.data.calls)} calls of ${r.month} in local mode (DynamoDB Local; ${r.node}; medians of ${r.rounds} rounds)`,
    table(
      [
        'period',
        'city number',
        'records',
        'items read',
        'pages',
        'report ms',
        'read ms',
        'compute ms',
        'floor ms',
        'report ÷ floor',
        'RCU',
        'KiB received',
      ],
      r.cases.map((c) => [
        c.from === c.to ? `${c.period} ${c.from}` : `${c.period} ${c.from}..${c.to}`,
        c.cityNumber ?? 'all',
        c.records,
        c.itemsRead,
        c.pages,
        c.reportMs,
        c.readMs,
        c.computeMs,
        c.floorMs,
        c.reportOverFloor,
        c.readCapacityUnits,
        round(c.responseBytes / KIB, 1),
      ]),
    ),
    `Data: ${n(r.data.records)} records folded from ${n(r.data.events)} events (${Object.entries(
      r.data.byKind,
    )
      .map(([kind, count]) => `${n(count ?? 0)} ${kind}`)
      .join(
        ', ',
      )}), ${r.data.cityNumbers.length} city numbers, ${r.data.employees} employees, ${n(r.data.customers)} customers; projected in ${r.data.generateSeconds} s, written by BatchWrite in ${r.data.writeSeconds} s; as a table export to S3 writes them (DynamoDB JSON lines), ${n(Math.round(r.data.exportGzipBytes / KIB))} KiB gzipped.`,
  ];
  if (r.memory)
    lines.push(
      `Memory: the month's ${n(r.memory.records)} records hold ${round(r.memory.heapBytes / MIB, 1)} MiB of heap once read (${n(r.memory.bytesPerRecord)} bytes a record).`,
    );
  lines.push(
    r.ok
      ? 'Checks: every report read exactly the records of its period, no more pages than its floor, and counted each of them.'
      : `Checks FAILED:\n${r.problems.map((p) => `  - ${p}`).join('\n')}`,
  );
  return lines.join('\n');
}

export function formatTables(results: {
  bundles: Bundles;
  coldStarts: ColdStartSummary[];
  ratios: ImportRatios[];
  pseudonymous: PseudonymousCost;
  warm: WarmSummary[];
  validation: ValidationSummary[];
  endToEnd?: EndToEndSummary;
  callReport?: CallReportSummary;
  targets: Target[];
  problems: string[];
}): string {
  const {
    bundles,
    coldStarts,
    ratios,
    pseudonymous,
    warm,
    validation,
    endToEnd,
    callReport,
    targets,
    problems,
  } = results;
  const out: string[] = [];
  const order: BundleName[] = [
    'ingest',
    'ingest-pseudonymous',
    'ingest-without-secrets-manager',
    'put-item',
    'put-item-runtime-sdk',
    'publish',
    'put-events',
    'project',
    'get-query-put-query',
    'sweep',
    'query-query',
    'hello',
    'intl',
  ];
  out.push(
    'Bundles (minified, as CDK builds them; KiB = 1024 bytes; gzip -9)',
    table(
      ['bundle', 'KiB', 'gzip KiB', 'largest parts (KiB)'],
      order.map((name) => {
        const b = bundles.byName[name];
        return [name, round(b.bytes / KIB, 1), round(b.gzipBytes / KIB, 1), topPackages(b, 4)];
      }),
    ),
    '',
    'Cold start, one fresh process per run: import, then the first invocation (stub AWS endpoint)',
    table(
      [
        'node',
        'bundle',
        'runs',
        'import median ms',
        'import p90 ms',
        'first p50 ms',
        'first p99 ms',
        'first CPU p50 µs',
      ],
      coldStarts.map((c) => [
        c.node,
        c.bundle,
        c.failures > 0 ? `${c.runs} (${c.failures} failed)` : c.runs,
        c.import.medianMs,
        c.import.p90Ms,
        c.firstInvocation.p50Ms,
        c.firstInvocation.p99Ms,
        c.firstInvocation.cpuP50Us,
      ]),
    ),
    table(
      [
        'node (paired per round, median)',
        'ingest ÷ put-item',
        'publish ÷ put-events',
        'project ÷ get-query-put-query',
        'sweep ÷ query-query',
        'first Intl formatter ms',
        'Secrets Manager client ms',
        'SDK from node_modules ÷ bundled',
      ],
      ratios.map((r) => [
        r.node,
        r.ingest,
        r.publish,
        r.project,
        r.sweep,
        r.icuMs,
        r.secretsManagerMs,
        r.runtimeSdkVsBundled,
      ]),
    ),
    '',
    'Warm invocations against the stub AWS endpoint (after a warm-up; pooled over children)',
    table(
      [
        'node',
        'bundle',
        'invocations',
        'p50 ms',
        'p99 ms',
        'CPU mean µs',
        'CPU p50 µs',
        'CPU p99 µs',
        'CPU mean ÷ floor',
      ],
      warm.map((w) => {
        const floor = FLOOR_OF[w.bundle];
        const f = floor && warm.find((x) => x.node === w.node && x.bundle === floor);
        return [
          w.node,
          w.bundle,
          w.invocations,
          w.p50Ms,
          w.p99Ms,
          w.cpuMeanUs,
          w.cpuP50Us,
          w.cpuP99Us,
          f ? round(w.cpuMeanUs / f.cpuMeanUs) : '-',
        ];
      }),
    ),
    '',
    `Pseudonymous mode: ingest-pseudonymous against the plain ingest, same run (bundle ${round(
      pseudonymous.bundle.pseudonymousBytes / KIB,
      1,
    )} ÷ ${round(pseudonymous.bundle.plainBytes / KIB, 1)} KiB = ${pseudonymous.bundle.ratio}, gzip ${pseudonymous.bundle.gzipRatio}; libphonenumber-js ${round(
      pseudonymous.bundle.phoneLibraryBytes / KIB,
      1,
    )} KiB, ${round(pseudonymous.bundle.phoneLibraryShare * 100, 1)} % of it)`,
    table(
      [
        'node',
        'import ms plain / pseud.',
        'ratio',
        'first invocation ms',
        'ratio',
        'import + first ms',
        'ratio',
        'warm CPU mean µs',
        'ratio',
        'warm p50 ms',
        'ratio',
      ],
      pseudonymous.byNode.map((p) => [
        p.node,
        `${p.import.plainMs} / ${p.import.pseudonymousMs}`,
        p.import.ratio,
        `${p.firstInvocation.plainMs} / ${p.firstInvocation.pseudonymousMs}`,
        p.firstInvocation.ratio,
        `${p.coldStart.plainMs} / ${p.coldStart.pseudonymousMs}`,
        p.coldStart.ratio,
        `${n(p.warm.plainCpuMeanUs)} / ${n(p.warm.pseudonymousCpuMeanUs)}`,
        p.warm.cpuRatio,
        `${p.warm.plainP50Ms} / ${p.warm.pseudonymousP50Ms}`,
        p.warm.p50Ratio,
      ]),
    ),
    '',
    'Validation over the spec examples (events/s, median of rounds)',
    table(
      [
        'node',
        'JSON.parse alone',
        'parseCallEvent(object)',
        'best round',
        'parseCallEvent(JSON.parse(text))',
        'object ÷ JSON.parse',
      ],
      validation.map((v) => [
        v.node,
        v.eventsPerSecond.jsonParse,
        v.eventsPerSecond.parseObjects,
        v.bestParseObjects,
        v.eventsPerSecond.parseStrings,
        round(v.eventsPerSecond.parseObjects / v.eventsPerSecond.jsonParse),
      ]),
    ),
  );
  if (endToEnd) {
    out.push(
      '',
      `End to end through local mode (${endToEnd.node}; ${endToEnd.events} events, concurrency ${endToEnd.concurrency})`,
      table(
        [
          'events/s',
          'p50 ms',
          'p99 ms',
          'accepted',
          'duplicates',
          'stored',
          'published',
          'lost',
          'pipeline events/s',
          'ok',
        ],
        [
          [
            endToEnd.eventsPerSecond,
            endToEnd.latencyMs.p50,
            endToEnd.latencyMs.p99,
            endToEnd.accepted,
            endToEnd.duplicates,
            endToEnd.stored ?? '-',
            endToEnd.publishedDistinct ?? '-',
            endToEnd.lost ?? '-',
            endToEnd.pipelineEventsPerSecond ?? '-',
            endToEnd.ok ? 'yes' : `NO: ${endToEnd.problems.join('; ')}`,
          ],
        ],
      ),
    );
  }
  if (callReport) out.push('', formatCallReport(callReport));
  out.push(
    '',
    'Targets',
    table(
      ['target', 'node', 'value', 'limit', 'met'],
      targets.map((t) => [
        t.name,
        t.node,
        `${n(t.value)} ${t.unit}`,
        `${t.kind === 'max' ? '≤' : '≥'} ${n(t.limit)} ${t.unit}`,
        t.met ? 'yes' : 'NO',
      ]),
    ),
    '',
    problems.length === 0
      ? `Checks: the analysed bundles are the stack's, nothing they import statically is left out, the ingest and publisher carry no libphonenumber-js (the pseudonymous ingest does), every invocation succeeded with the expected AWS calls (the pseudonymous ingest's PutItems with no customer's number as sent), nothing was lost end to end${callReport ? ', every report read exactly the records of its period' : ''}.`
      : `Checks FAILED (the figures above are suspect):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
  );
  return out.join('\n');
}
