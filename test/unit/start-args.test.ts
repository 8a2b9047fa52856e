/** `npm start`'s arguments: what reaches the stack as context, and what is refused before anything starts. */
import { parseStartArgs } from '../../local/start-args';

describe('npm start arguments', () => {
  it('takes --in-memory and any number of -c / --context pairs, later ones winning', () => {
    expect(
      parseStartArgs([
        '-c',
        'stuckCallAfterMinutes=0.5',
        '--in-memory',
        '--context',
        'timeZone=UTC',
        '-c',
        'timeZone=Europe/Berlin',
      ]),
    ).toEqual({ inMemory: true, context: { stuckCallAfterMinutes: '0.5', timeZone: 'Europe/Berlin' } });
    expect(parseStartArgs([])).toEqual({ inMemory: false, context: {} });
  });

  it('keeps an = inside the value', () => {
    expect(parseStartArgs(['-c', 'eventSource=a=b']).context).toEqual({ eventSource: 'a=b' });
  });

  it.each([
    [['--memory'], 'unknown option --memory'],
    [['-c'], '-c takes key=value, got nothing'],
    [['-c', 'timeZone'], '-c takes key=value, got timeZone'],
    [['--context', '=UTC'], '--context takes key=value, got =UTC'],
  ])('refuses %j', (args, message) => {
    expect(() => parseStartArgs(args)).toThrow(message);
  });
});
