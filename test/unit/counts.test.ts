/**
 * Counts as EMF metrics (lambda/shared/counts.ts, flushMetrics in lambda/shared/observability.ts):
 * a zero is not written, and an invocation that counted nothing writes no EMF line, with the
 * functions' real Powertools Metrics.
 */
import { addCount } from '../../lambda/shared/counts';
import { flushMetrics, metrics } from '../../lambda/shared/observability';

afterEach(() => {
  jest.restoreAllMocks();
  metrics.clearMetrics();
});

describe('counts', () => {
  it('writes the counts that are not zero, and only those, into the EMF record', () => {
    addCount(metrics, 'CallsProjected', 3);
    addCount(metrics, 'CallProjectionFailed', 0);
    addCount(metrics, 'CallbacksResolved', 1);

    const record = metrics.serializeMetrics() as unknown as Record<string, unknown> & {
      _aws: { CloudWatchMetrics: { Metrics: { Name: string }[] }[] };
    };
    expect(record._aws.CloudWatchMetrics[0]?.Metrics.map((m) => m.Name)).toEqual([
      'CallsProjected',
      'CallbacksResolved',
    ]);
    expect(record).toMatchObject({ CallsProjected: 3, CallbacksResolved: 1 });
    expect(record).not.toHaveProperty('CallProjectionFailed');
  });

  it('flushes nothing, and warns of nothing, when an invocation counted only zeros', () => {
    const publish = jest.spyOn(metrics, 'publishStoredMetrics');
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    addCount(metrics, 'Published', 0);
    addCount(metrics, 'PublishFailed', 0);

    flushMetrics();

    expect(publish).not.toHaveBeenCalled();
    expect(warn).not.toHaveBeenCalled();
  });

  it('flushes the record once something was counted', () => {
    const publish = jest.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => metrics);
    addCount(metrics, 'Published', 2);

    flushMetrics();

    expect(publish).toHaveBeenCalledTimes(1);
  });
});
