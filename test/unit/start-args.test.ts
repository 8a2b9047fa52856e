/** `npm start`'s arguments and environment: what reaches the stack as context, and what is refused before anything starts. */
import { parseStartArgs, portFromEnv, START_HELP } from '../../local/start-args';

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
    ).toEqual({
      help: false,
      inMemory: true,
      context: { stuckCallAfterMinutes: '0.5', timeZone: 'Europe/Berlin' },
    });
    expect(parseStartArgs([])).toEqual({ help: false, inMemory: false, context: {} });
  });

  it('keeps an = inside the value', () => {
    expect(parseStartArgs(['-c', 'eventSource=a=b']).context).toEqual({ eventSource: 'a=b' });
  });

  it.each([['--help'], ['-h']])('%s asks for the help', (flag) => {
    expect(parseStartArgs([flag]).help).toBe(true);
  });

  it.each([
    [['--memory'], /Unknown option '--memory'.*\(see npm start -- --help\)$/],
    [['-c'], /argument missing.*\(see npm start -- --help\)$/],
    [['-c', 'timeZone'], /^-c takes key=value, got timeZone \(see npm start -- --help\)$/],
    [['--context', '=UTC'], /^-c takes key=value, got =UTC/],
    [['stray'], /Unexpected argument 'stray'/],
  ])('refuses %j, pointing at the help', (args, message) => {
    expect(() => parseStartArgs(args)).toThrow(message);
  });

  it('the help names every option and every environment variable that matters', () => {
    for (const word of [
      '--in-memory',
      '--context',
      '-c',
      '--help',
      'PORT',
      'HOST',
      'DYNAMODB_PORT',
      'EVENTBRIDGE_PORT',
      'SQS_PORT',
      'CRM_SECRET',
      'WEBHOOK_TOKEN',
      'NO_COLOR',
      'npm run stop',
    ])
      expect(START_HELP).toContain(word);
  });
});

describe('ports from the environment', () => {
  it('takes a port number, 0 for any free one, and the default when unset or empty', () => {
    expect(portFromEnv({ PORT: '3100' }, 'PORT', 3000)).toBe(3100);
    expect(portFromEnv({ PORT: '0' }, 'PORT', 3000)).toBe(0);
    expect(portFromEnv({}, 'PORT', 3000)).toBe(3000);
    expect(portFromEnv({ PORT: '' }, 'PORT', 3000)).toBe(3000);
  });

  it.each(['-1', '65536', '3000.5', 'abc', ' 3000'])('refuses PORT=%j, naming the variable', (text) => {
    expect(() => portFromEnv({ DYNAMODB_PORT: text }, 'DYNAMODB_PORT', 8000)).toThrow(
      `DYNAMODB_PORT must be a port number (0–65535), got ${text}`,
    );
  });
});
