/**
 * Stands in for EventBridge's scheduled rules: each rule's target function invoked on the
 * rule's rate, with the event EventBridge sends ("Scheduled Event", source aws.events). One run
 * at a time: a run that outlasts the rate delays the next, as a Lambda target would be retried.
 */
import { randomUUID } from 'node:crypto';

/** The period of `rate(N unit)`; a cron expression is not supported locally (the stack uses none). */
export function scheduleRateMs(expression: string): number {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) throw new Error(`Local mode runs rate(...) schedules only, not ${expression}`);
  const n = Number(match[1]);
  const unit = match[2] as string;
  const ms = unit.startsWith('minute') ? 60_000 : unit.startsWith('hour') ? 3_600_000 : 86_400_000;
  return n * ms;
}

export interface LocalSchedule {
  /** The rule's name (its logical id without CDK's hash). */
  rule: string;
  functionName: string;
  everyMs: number;
  /** Runs the target now (after any run in progress), as the schedule would; resolves with its result. */
  runNow(): Promise<unknown>;
  stop(): Promise<void>;
}

export interface ScheduleOptions {
  rule: string;
  functionName: string;
  everyMs: number;
  region: string;
  invoke: (event: unknown) => Promise<unknown>;
  /** A failed run; the next one tries again, as EventBridge's next trigger would. */
  onError: (error: Error) => void;
}

export function startSchedule(options: ScheduleOptions): LocalSchedule {
  let stopped = false;
  let running: Promise<unknown> = Promise.resolve();
  let timer: NodeJS.Timeout | undefined;
  const event = () => ({
    version: '0',
    id: randomUUID(),
    'detail-type': 'Scheduled Event',
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: options.region,
    resources: [`arn:aws:events:${options.region}:000000000000:rule/${options.rule}`],
    detail: {},
  });
  const run = () => {
    running = running.then(
      () => options.invoke(event()),
      () => options.invoke(event()),
    );
    running.catch((error: Error) => options.onError(error));
    return running;
  };
  const tick = () => {
    if (stopped) return;
    run()
      .catch(() => undefined)
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, options.everyMs);
      });
  };
  timer = setTimeout(tick, options.everyMs);
  return {
    rule: options.rule,
    functionName: options.functionName,
    everyMs: options.everyMs,
    runNow: run,
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running.catch(() => undefined);
    },
  };
}
