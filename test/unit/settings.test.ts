/** The settings' own reading of a value, as the synth and the functions share it (lambda/config/settings.ts). */
import { parseSetting, SETTINGS } from '../../lambda/config/settings';

describe('stuckCallAfterMinutes: minutes to the second', () => {
  const read = (raw: string | undefined) => parseSetting(SETTINGS.stuckCallAfterMinutes, raw);

  it('takes whole minutes, and fractions that are whole seconds, so local mode can make it seconds', () => {
    expect([read('240'), read('0.5'), read('0.05'), read('100000')]).toEqual([
      { ok: true, value: 240 },
      { ok: true, value: 0.5 },
      { ok: true, value: 0.05 },
      { ok: true, value: 100000 },
    ]);
    // 2/60 as JavaScript writes it: two seconds.
    expect(read(String(2 / 60))).toEqual({ ok: true, value: 2 / 60 });
    expect(read(undefined)).toEqual({ ok: true, value: 240 });
  });

  it.each(['0', '0.01', '1.001', '100001', '-1', '4h', 'Infinity'])(
    'refuses %j, saying what it takes',
    (raw) => {
      const result = read(raw);
      expect(result.ok).toBe(false);
      expect(!result.ok && result.problem).toContain('in whole seconds');
    },
  );
});
