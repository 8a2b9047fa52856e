/** The local EventBridge's pattern matcher against the EventBridge User Guide's own examples, then the edges. */
import {
  InvalidEventPatternError,
  matchesPattern,
  validatePattern,
} from '../../local/eventbridge/event-pattern';

/** [what the row shows, pattern, event, whether EventBridge matches it] */
type Case = [string, object, object, boolean];

const expectMatches = (cases: Case[]) =>
  it.each(cases)('%s', (_name, pattern, event, expected) => {
    expect(matchesPattern(event, pattern)).toBe(expected);
  });

/** A pattern on one field, and events that give that field one value each. */
const field = (name: string, value: unknown) => ({ [name]: value });

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html
const EC2_EVENT = {
  version: '0',
  id: '6a7e8feb-b491-4cf7-a9f1-bf3703467718',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '111122223333',
  time: '2017-12-22T18:43:48Z',
  region: 'us-west-1',
  resources: ['arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0'],
  detail: { 'instance-id': 'i-1234567890abcdef0', state: 'terminated' },
};
const EC2_TERMINATION = {
  source: ['aws.ec2'],
  'detail-type': ['EC2 Instance State-change Notification'],
  detail: { state: ['terminated'] },
};
const withDetail = (detail: object) => ({ ...EC2_EVENT, detail: { ...EC2_EVENT.detail, ...detail } });

describe('eb-event-patterns.html: the EC2 instance state-change example', () => {
  expectMatches([
    ['the instance-termination pattern matches the example event', EC2_TERMINATION, EC2_EVENT, true],
    ['…and not the same event in state "running"', EC2_TERMINATION, withDetail({ state: 'running' }), false],
    [
      'values in an array are OR-ed: aws.ec2 or aws.fargate',
      { source: ['aws.ec2', 'aws.fargate'] },
      EC2_EVENT,
      true,
    ],
    [
      '…and a source in neither does not match',
      { source: ['aws.ec2', 'aws.fargate'] },
      { ...EC2_EVENT, source: 'aws.s3' },
      false,
    ],
    [
      'every field of the pattern must match (AND)',
      { ...EC2_TERMINATION, region: ['eu-west-1'] },
      EC2_EVENT,
      false,
    ],
    ['a field the event does not have does not match', { detail: { reason: ['spot'] } }, EC2_EVENT, false],
    ['fields keep their nesting: state is under detail', { state: ['terminated'] }, EC2_EVENT, false],
    [
      'strings match character by character, without case-folding',
      { detail: { state: ['Terminated'] } },
      EC2_EVENT,
      false,
    ],
    ['field names are case-sensitive too', { Source: ['aws.ec2'] }, EC2_EVENT, false],
    [
      'a value matches an element of the event array resources',
      { resources: EC2_EVENT.resources },
      EC2_EVENT,
      true,
    ],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns.html (Example events and event patterns)
describe('eb-event-patterns.html: value matching on the Macie alert example', () => {
  const macie = {
    source: 'aws.macie',
    'detail-type': 'Macie Alert',
    detail: {
      'risk-score': 80,
      tags: ['Custom_Alert', 'Insider'],
      trigger: { 'alert-type': 'basic', risk: 8 },
    },
  };
  const pattern = {
    source: ['aws.macie'],
    'detail-type': ['Macie Alert'],
    detail: { 'risk-score': [80], trigger: { risk: [8] } },
  };
  expectMatches([
    ['risk score 80 and trigger risk 8', pattern, macie, true],
    [
      '…not with trigger risk 9',
      pattern,
      { ...macie, detail: { ...macie.detail, trigger: { risk: 9 } } },
      false,
    ],
    [
      'a number does not match the same digits as a string',
      { detail: { 'risk-score': ['80'] } },
      macie,
      false,
    ],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-null-values.html
describe('eb-event-patterns-null-values.html: null values and empty strings', () => {
  const autoScaling = {
    version: '0',
    id: '3e3c153a-8339-4e30-8c35-687ebef853fe',
    'detail-type': 'EC2 Instance Launch Successful',
    source: 'aws.autoscaling',
    account: '123456789012',
    time: '2015-11-11T21:31:47Z',
    region: 'us-east-1',
    resources: [],
    detail: { eventVersion: '', responseElements: null },
  };
  expectMatches([
    ['"" matches the empty eventVersion', { detail: { eventVersion: [''] } }, autoScaling, true],
    ['null matches the null responseElements', { detail: { responseElements: [null] } }, autoScaling, true],
    [
      'the source/detail-type/null example pattern',
      {
        source: ['aws.autoscaling'],
        'detail-type': ['EC2 Instance Launch Successful'],
        detail: { responseElements: [null] },
      },
      autoScaling,
      true,
    ],
    [
      'null and "" are not interchangeable: "" vs null',
      { detail: { responseElements: [''] } },
      autoScaling,
      false,
    ],
    [
      'null and "" are not interchangeable: null vs ""',
      { detail: { eventVersion: [null] } },
      autoScaling,
      false,
    ],
    ['null does not match a missing field', { detail: { requestParameters: [null] } }, autoScaling, false],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-event-patterns-arrays.html
describe('eb-event-patterns-arrays.html: an event array matches on a non-empty intersection', () => {
  const pattern = {
    resources: [
      'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
      'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
    ],
  };
  const asg =
    'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate';
  expectMatches([
    [
      "the pattern's first value is the event's second element",
      pattern,
      { resources: [asg, 'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f'] },
      true,
    ],
    ['no common element', pattern, { resources: [asg] }, false],
    ['an empty event array', pattern, { resources: [] }, false],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (the summary table:
// each row's rule syntax, against one event it describes and one it excludes)
describe('eb-create-pattern-operators.html: the summary table', () => {
  expectMatches([
    [
      'And: New York on Monday',
      { Location: ['New York'], Day: ['Monday'] },
      { Location: 'New York', Day: 'Monday' },
      true,
    ],
    [
      'And: not on Tuesday',
      { Location: ['New York'], Day: ['Monday'] },
      { Location: 'New York', Day: 'Tuesday' },
      false,
    ],
    [
      'Anything-but: running',
      field('state', [{ 'anything-but': 'initializing' }]),
      field('state', 'running'),
      true,
    ],
    [
      'Anything-but: initializing',
      field('state', [{ 'anything-but': 'initializing' }]),
      field('state', 'initializing'),
      false,
    ],
    [
      'Anything-but begins with: eu-west-1',
      field('Region', [{ 'anything-but': { prefix: 'us-' } }]),
      field('Region', 'eu-west-1'),
      true,
    ],
    [
      'Anything-but begins with: us-east-1',
      field('Region', [{ 'anything-but': { prefix: 'us-' } }]),
      field('Region', 'us-east-1'),
      false,
    ],
    [
      'Anything-but ends with: notes.txt',
      field('FileName', [{ 'anything-but': { suffix: '.png' } }]),
      field('FileName', 'notes.txt'),
      true,
    ],
    [
      'Anything-but ends with: image.png',
      field('FileName', [{ 'anything-but': { suffix: '.png' } }]),
      field('FileName', 'image.png'),
      false,
    ],
    [
      'Anything-but ignore case: running',
      field('state', [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }]),
      field('state', 'running'),
      true,
    ],
    [
      'Anything-but ignore case: INITIALIZING',
      field('state', [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }]),
      field('state', 'INITIALIZING'),
      false,
    ],
    [
      'Anything-but wildcard: /usr/bin/node',
      field('FilePath', [{ 'anything-but': { wildcard: '*/lib/*' } }]),
      field('FilePath', '/usr/bin/node'),
      true,
    ],
    [
      'Anything-but wildcard: /usr/lib/node',
      field('FilePath', [{ 'anything-but': { wildcard: '*/lib/*' } }]),
      field('FilePath', '/usr/lib/node'),
      false,
    ],
    ['Begins with: us-east-1', field('Region', [{ prefix: 'us-' }]), field('Region', 'us-east-1'), true],
    ['Begins with: eu-west-1', field('Region', [{ prefix: 'us-' }]), field('Region', 'eu-west-1'), false],
    [
      'Begins with, ignore case: EventBridge',
      field('service', [{ prefix: { 'equals-ignore-case': 'eventb' } }]),
      field('service', 'EventBridge'),
      true,
    ],
    [
      'Begins with, ignore case: EVENTBRIDGE',
      field('service', [{ prefix: { 'equals-ignore-case': 'eventb' } }]),
      field('service', 'EVENTBRIDGE'),
      true,
    ],
    [
      'Begins with, ignore case: Lambda',
      field('service', [{ prefix: { 'equals-ignore-case': 'eventb' } }]),
      field('service', 'Lambda'),
      false,
    ],
    ['Empty: ""', field('LastName', ['']), field('LastName', ''), true],
    ['Empty: Doe', field('LastName', ['']), field('LastName', 'Doe'), false],
    ['Equals: Alice', field('Name', ['Alice']), field('Name', 'Alice'), true],
    ['Equals: alice', field('Name', ['Alice']), field('Name', 'alice'), false],
    [
      'Equals, ignore case: Alice',
      field('Name', [{ 'equals-ignore-case': 'alice' }]),
      field('Name', 'Alice'),
      true,
    ],
    [
      'Equals, ignore case: ALICE',
      field('Name', [{ 'equals-ignore-case': 'alice' }]),
      field('Name', 'ALICE'),
      true,
    ],
    [
      'Equals, ignore case: Bob',
      field('Name', [{ 'equals-ignore-case': 'alice' }]),
      field('Name', 'Bob'),
      false,
    ],
    ['Ends with: image.png', field('FileName', [{ suffix: '.png' }]), field('FileName', 'image.png'), true],
    [
      'Ends with: image.PNG (case-sensitive)',
      field('FileName', [{ suffix: '.png' }]),
      field('FileName', 'image.PNG'),
      false,
    ],
    [
      'Ends with, ignore case: EventBridge',
      field('service', [{ suffix: { 'equals-ignore-case': 'tBridge' } }]),
      field('service', 'EventBridge'),
      true,
    ],
    [
      'Ends with, ignore case: EVENTBRIDGE',
      field('service', [{ suffix: { 'equals-ignore-case': 'tBridge' } }]),
      field('service', 'EVENTBRIDGE'),
      true,
    ],
    [
      'Ends with, ignore case: Lambda',
      field('service', [{ suffix: { 'equals-ignore-case': 'tBridge' } }]),
      field('service', 'Lambda'),
      false,
    ],
    ['Exists: present', field('ProductName', [{ exists: true }]), field('ProductName', 'Widget'), true],
    ['Exists: missing', field('ProductName', [{ exists: true }]), {}, false],
    ['Does not exist: missing', field('ProductName', [{ exists: false }]), {}, true],
    [
      'Does not exist: present',
      field('ProductName', [{ exists: false }]),
      field('ProductName', 'Widget'),
      false,
    ],
    ['Not: Sunny', field('Weather', [{ 'anything-but': ['Raining'] }]), field('Weather', 'Sunny'), true],
    ['Not: Raining', field('Weather', [{ 'anything-but': ['Raining'] }]), field('Weather', 'Raining'), false],
    ['Null: null', field('UserID', [null]), field('UserID', null), true],
    ['Null: a value', field('UserID', [null]), field('UserID', 'u-1'), false],
    ['Numeric (equals): 100', field('Price', [{ numeric: ['=', 100] }]), field('Price', 100), true],
    ['Numeric (equals): 100.5', field('Price', [{ numeric: ['=', 100] }]), field('Price', 100.5), false],
    [
      'Numeric (range): 20 is in (10, 20]',
      field('Price', [{ numeric: ['>', 10, '<=', 20] }]),
      field('Price', 20),
      true,
    ],
    [
      'Numeric (range): 10 is not',
      field('Price', [{ numeric: ['>', 10, '<=', 20] }]),
      field('Price', 10),
      false,
    ],
    [
      'Numeric (range): 21 is not',
      field('Price', [{ numeric: ['>', 10, '<=', 20] }]),
      field('Price', 21),
      false,
    ],
    ['Or: Debit', field('PaymentType', ['Credit', 'Debit']), field('PaymentType', 'Debit'), true],
    ['Or: Cash', field('PaymentType', ['Credit', 'Debit']), field('PaymentType', 'Cash'), false],
    [
      'Or (multiple fields): Paris on Monday',
      { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
      { Location: 'Paris', Day: 'Monday' },
      true,
    ],
    [
      'Or (multiple fields): Paris on Friday',
      { $or: [{ Location: ['New York'] }, { Day: ['Monday'] }] },
      { Location: 'Paris', Day: 'Friday' },
      false,
    ],
    [
      'Wildcard: dir/image.png',
      field('FileName', [{ wildcard: 'dir/*.png' }]),
      field('FileName', 'dir/image.png'),
      true,
    ],
    [
      'Wildcard: * spans "/", dir/sub/image.png',
      field('FileName', [{ wildcard: 'dir/*.png' }]),
      field('FileName', 'dir/sub/image.png'),
      true,
    ],
    [
      'Wildcard: dir/image.jpg',
      field('FileName', [{ wildcard: 'dir/*.png' }]),
      field('FileName', 'dir/image.jpg'),
      false,
    ],
    [
      'Wildcard: other/image.png',
      field('FileName', [{ wildcard: 'dir/*.png' }]),
      field('FileName', 'other/image.png'),
      false,
    ],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (the sections on
// prefix, anything-but, numeric, IP address, exists and the complex example, against EC2-style events)
describe('eb-create-pattern-operators.html: the examples of each section', () => {
  const counts = withDetail({
    state: 'running',
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    sourceIPAddress: '10.0.0.33',
  });
  const numeric = {
    detail: {
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ numeric: ['=', 3.018e2] }],
    },
  };
  const complex = {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
    },
  };
  const onOctober2 = { ...counts, time: '2017-10-02T18:43:48Z' };
  // The exists section's matching event, and its non-matching one (detail.c-count an object, no state).
  const pending = withDetail({ 'instance-id': 'i-abcd1111', state: 'pending' });
  const cCountObject = {
    'detail-type': 'EC2 Instance State-change Notification',
    resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-02ebd4584a2ebd341'],
    detail: { 'c-count': { c1: 100 } },
  };
  expectMatches([
    ['prefix: time starting with 2017-10-02', { time: [{ prefix: '2017-10-02' }] }, onOctober2, true],
    ['prefix: a time on another day', { time: [{ prefix: '2017-10-02' }] }, EC2_EVENT, false],
    ['anything-but a string', { detail: { state: [{ 'anything-but': 'initializing' }] } }, counts, true],
    [
      'anything-but a number: 301.8 is not 123',
      { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      counts,
      true,
    ],
    [
      'anything-but a number: 123',
      { detail: { 'x-limit': [{ 'anything-but': 123 }] } },
      withDetail({ 'x-limit': 123 }),
      false,
    ],
    [
      'anything-but a list of strings: running',
      { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      counts,
      true,
    ],
    [
      'anything-but a list of strings: stopped',
      { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } },
      withDetail({ state: 'stopped' }),
      false,
    ],
    [
      'anything-but a list of numbers: 200',
      { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      withDetail({ 'x-limit': 200 }),
      false,
    ],
    [
      'anything-but a prefix: running',
      { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      counts,
      true,
    ],
    [
      'anything-but a prefix: initializing',
      { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      withDetail({ state: 'initializing' }),
      false,
    ],
    ['numeric: every condition holds', numeric, counts, true],
    [
      'numeric: c-count 0 is outside (0, 5]',
      numeric,
      { ...counts, detail: { ...counts.detail, 'c-count': 0 } },
      false,
    ],
    [
      'numeric: d-count 10 is not < 10',
      numeric,
      { ...counts, detail: { ...counts.detail, 'd-count': 10 } },
      false,
    ],
    [
      'numeric: only JSON numbers match, not "301.8"',
      numeric,
      { ...counts, detail: { ...counts.detail, 'x-limit': '301.8' } },
      false,
    ],
    [
      'cidr: 10.0.0.33 is in 10.0.0.0/24',
      { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      counts,
      true,
    ],
    [
      'cidr: 10.0.0.255 is in 10.0.0.0/24',
      { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      withDetail({ sourceIPAddress: '10.0.0.255' }),
      true,
    ],
    [
      'cidr: 10.0.1.0 is not',
      { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      withDetail({ sourceIPAddress: '10.0.1.0' }),
      false,
    ],
    [
      'exists: the pending instance has detail.state',
      { detail: { state: [{ exists: true }] } },
      pending,
      true,
    ],
    ['exists: an event without detail.state', { detail: { state: [{ exists: true }] } }, cCountObject, false],
    ['exists false: no detail.c-count', { detail: { 'c-count': [{ exists: false }] } }, pending, true],
    [
      'exists false: c-count is an object, not a leaf',
      { detail: { 'c-count': [{ exists: false }] } },
      cCountObject,
      true,
    ],
    ['complex: prefix, anything-but and numeric together', complex, onOctober2, true],
    [
      'complex: x-limit 200 is excluded',
      complex,
      { ...onOctober2, detail: { ...onOctober2.detail, 'x-limit': 200 } },
      false,
    ],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html ("$or" matching)
describe('eb-create-pattern-operators.html: $or', () => {
  const anyCount = {
    $or: [
      { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
      { detail: { 'd-count': [{ numeric: ['<', 10] }] } },
      { detail: { 'x-limit': [{ numeric: ['=', 3.018e2] }] } },
    ],
  };
  const cloudWatch = {
    source: ['aws.cloudwatch'],
    $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
  };
  expectMatches([
    [
      'one alternative of three holds (d-count)',
      anyCount,
      { detail: { 'c-count': 9, 'd-count': 3, 'x-limit': 1 } },
      true,
    ],
    ['none holds', anyCount, { detail: { 'c-count': 9, 'd-count': 30, 'x-limit': 1 } }, false],
    [
      'source AND (metricName OR namespace): by namespace',
      cloudWatch,
      { source: 'aws.cloudwatch', metricName: 'Errors', namespace: 'AWS/ES' },
      true,
    ],
    [
      '…the source still has to match',
      cloudWatch,
      { source: 'aws.lambda', metricName: 'CPUUtilization' },
      false,
    ],
    [
      '…and one alternative too',
      cloudWatch,
      { source: 'aws.cloudwatch', metricName: 'Errors', namespace: 'AWS/S3' },
      false,
    ],
  ]);
});

// The product's own rules (docs/, lib/constructs/call-event-routing.ts) against an event as the publisher puts it.
describe('the call-events rules', () => {
  const published = {
    version: '0',
    id: '0d4c1a4e-6d1b-4c5e-9a8f-2f7e5b1c9d00',
    'detail-type': 'MissedIncCall',
    source: 'telephony.call-events',
    account: '123456789012',
    time: '2021-01-28T11:15:22Z',
    region: 'eu-central-1',
    resources: [],
    detail: {
      HookType: 'MissedIncCall',
      SessionID: '3f1c9a',
      EventId: '3f1c9a/2021-01-28T11:15:22Z#05#MissedIncCall#9f2c01ab',
    },
  };
  const missed = { source: ['telephony.call-events'], 'detail-type': ['MissedIncCall'] };
  const ended = { source: ['telephony.call-events'], 'detail-type': ['EndIncCall'] };
  expectMatches([
    ['MissedIncCall rule: a published MissedIncCall', missed, published, true],
    ['MissedIncCall rule: an EndIncCall', missed, { ...published, 'detail-type': 'EndIncCall' }, false],
    ['MissedIncCall rule: another source', missed, { ...published, source: 'telephony.other' }, false],
    ['EndIncCall rule: a published EndIncCall', ended, { ...published, 'detail-type': 'EndIncCall' }, true],
    ['EndIncCall rule: a MissedIncCall', ended, published, false],
  ]);
});

// Where the pages state a rule without an example event: each row pins the documented semantics.
describe('documented semantics without a worked example', () => {
  expectMatches([
    [
      'anything-but does not match a missing field',
      field('state', [{ 'anything-but': 'initializing' }]),
      {},
      false,
    ],
    ['numeric does not match a missing field', field('n', [{ numeric: ['>', 0] }]), {}, false],
    ['prefix only matches strings', field('n', [{ prefix: '1' }]), field('n', 10), false],
    [
      'equals-ignore-case only matches strings',
      field('b', [{ 'equals-ignore-case': 'true' }]),
      field('b', true),
      false,
    ],
    ['booleans match exactly', field('b', [true]), field('b', true), true],
    ['true is not "true"', field('b', ['true']), field('b', true), false],
    ['exists: a null value is a value', field('v', [{ exists: true }]), field('v', null), true],
    ['exists: an object is not a leaf', field('v', [{ exists: true }]), field('v', { a: 1 }), false],
    ['exists: an empty array has no value', field('v', [{ exists: true }]), field('v', []), false],
    ['exists false: an empty array', field('v', [{ exists: false }]), field('v', []), true],
    ['exists false: under a missing parent', { detail: { v: [{ exists: false }] } }, {}, true],
    ['a leaf pattern does not match an object', field('v', ['a']), field('v', { a: 'a' }), false],
    [
      'anything-but matches an array with one other element',
      field('v', [{ 'anything-but': 'a' }]),
      field('v', ['a', 'b']),
      true,
    ],
    [
      'anything-but does not match an array of excluded values',
      field('v', [{ 'anything-but': 'a' }]),
      field('v', ['a', 'a']),
      false,
    ],
    ['wildcard: * may be empty', field('f', [{ wildcard: 'dir/*.png' }]), field('f', 'dir/.png'), true],
    ['wildcard: \\* is a literal star', field('f', [{ wildcard: 'a\\*b' }]), field('f', 'a*b'), true],
    ['wildcard: …and nothing else', field('f', [{ wildcard: 'a\\*b' }]), field('f', 'axb'), false],
    ['wildcard: regex characters are literal', field('f', [{ wildcard: 'a.b*' }]), field('f', 'axb'), false],
    [
      'cidr: IPv6',
      field('ip', [{ cidr: '2001:db8::/32' }]),
      field('ip', '2001:db8:85a3::8a2e:370:7334'),
      true,
    ],
    [
      'cidr: IPv6 outside the block',
      field('ip', [{ cidr: '2001:db8::/32' }]),
      field('ip', '2001:db9::1'),
      false,
    ],
    [
      'cidr: an IPv4 address is not in an IPv6 block',
      field('ip', [{ cidr: '2001:db8::/32' }]),
      field('ip', '10.0.0.1'),
      false,
    ],
    ['cidr: not an address', field('ip', [{ cidr: '10.0.0.0/8' }]), field('ip', 'localhost'), false],
    [
      'nested fields inside an array of objects',
      { items: { sku: ['A'] } },
      { items: [{ sku: 'B' }, { sku: 'A' }] },
      true,
    ],
    [
      '…must match within one element',
      { items: { sku: ['A'], qty: [2] } },
      {
        items: [
          { sku: 'A', qty: 1 },
          { sku: 'B', qty: 2 },
        ],
      },
      false,
    ],
    [
      '$or nested under a field',
      { detail: { $or: [{ a: ['1'] }, { b: ['2'] }] } },
      { detail: { b: '2' } },
      true,
    ],
    [
      'a field named like an Object method is just absent',
      field('constructor', [{ exists: false }]),
      {},
      true,
    ],
  ]);
});

describe('validatePattern: what EventBridge refuses', () => {
  it.each([
    [
      'a leaf that is not an array',
      { source: 'aws.ec2' },
      /source: expected an array of values or a nested pattern/,
    ],
    [
      'an unknown operator',
      { detail: { state: [{ prefx: 'init' }] } },
      /detail\.state\[0\]: unknown operator "prefx"/,
    ],
    ['two operators in one object', field('x', [{ prefix: 'a', suffix: 'b' }]), /exactly one operator/],
    ['an empty pattern', {}, /at least one field/],
    ['an empty nested pattern', { detail: {} }, /detail: a pattern must name at least one field/],
    ['an empty array of values', field('source', []), /must not be empty/],
    [
      'an array inside the values',
      field('x', [['a']]),
      /expected a string, number, boolean, null or operator/,
    ],
    ['a pattern that is not an object', ['aws.ec2'], /must be a JSON object/],
    ['numeric with a string bound', field('x', [{ numeric: ['=', '5'] }]), /"numeric" takes/],
    ['numeric with an unknown comparison', field('x', [{ numeric: ['!=', 5] }]), /"numeric" takes/],
    ['numeric with an empty range', field('x', [{ numeric: ['>', 5, '<', 1] }]), /"numeric" takes/],
    [
      'numeric with bounds in the wrong order',
      field('x', [{ numeric: ['<', 5, '>', 1] }]),
      /"numeric" takes/,
    ],
    [
      'anything-but mixing strings and numbers',
      field('x', [{ 'anything-but': ['a', 1] }]),
      /only strings or only numbers/,
    ],
    ['anything-but of null', field('x', [{ 'anything-but': null }]), /"anything-but" takes/],
    [
      'anything-but numeric',
      field('x', [{ 'anything-but': { numeric: ['>', 1] } }]),
      /"anything-but" does not take "numeric"/,
    ],
    ['exists with a non-boolean', field('x', [{ exists: 'yes' }]), /"exists" takes true or false/],
    ['prefix of a number', field('x', [{ prefix: 1 }]), /"prefix" takes a string/],
    ['wildcard with consecutive stars', field('x', [{ wildcard: 'a**b' }]), /consecutive "\*"/],
    ['wildcard escaping another character', field('x', [{ wildcard: 'a\\b' }]), /only escapes/],
    ['cidr with a prefix length too long', field('x', [{ cidr: '10.0.0.0/33' }]), /"cidr" takes/],
    ['cidr without a prefix length', field('x', [{ cidr: '10.0.0.1' }]), /"cidr" takes/],
    ['cidr that is not an address', field('x', [{ cidr: 'example.com/8' }]), /"cidr" takes/],
    ['$or with one alternative', { $or: [{ a: ['1'] }] }, /"\$or" takes an array of at least two patterns/],
    [
      '$or with a non-object alternative',
      { $or: [{ a: ['1'] }, 'b'] },
      /\$or\[1\]: a pattern must be a JSON object/,
    ],
  ])('refuses %s', (_name, pattern, message) => {
    expect(() => validatePattern(pattern)).toThrow(InvalidEventPatternError);
    expect(() => validatePattern(pattern)).toThrow(message);
  });

  it('accepts the documented forms', () => {
    expect(() =>
      validatePattern({
        source: ['aws.ec2', { prefix: { 'equals-ignore-case': 'AWS.' } }],
        detail: {
          state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OverLoaded'] } }],
          file: [{ 'anything-but': { suffix: '.txt' } }, { wildcard: 'dir/\\*\\\\*' }],
          ip: [{ cidr: '2001:db8::/32' }, { cidr: '10.0.0.0/24' }],
          n: [{ numeric: ['>=', 0, '<', 1] }, { exists: false }, null, 3, true, ''],
        },
      }),
    ).not.toThrow();
  });

  it('matchesPattern refuses a malformed pattern rather than matching nothing', () => {
    expect(() => matchesPattern(EC2_EVENT, { source: 'aws.ec2' })).toThrow(InvalidEventPatternError);
  });
});

// Event Ruler, the engine EventBridge's patterns run on, README "Compiled rules and JSON keys with dots"
// (github.com/aws/event-ruler): names are joined with "." when compiled, so a dot in a key and one
// between nested keys are the same field, in patterns and in events. The User Guide says nothing of it.
describe('keys with dots: the same field as the nested keys', () => {
  const nested = { detail: { state: { status: 'running' } } };
  const dotted = { detail: { 'state.status': 'running' } };
  expectMatches([
    [
      'a dotted pattern key matches the nested event',
      { detail: { 'state.status': ['running'] } },
      nested,
      true,
    ],
    [
      'a nested pattern matches an event whose key has a dot',
      { detail: { state: { status: ['running'] } } },
      dotted,
      true,
    ],
    ['dotted matches dotted', { detail: { 'state.status': ['running'] } }, dotted, true],
    ['…and still compares the value', { detail: { 'state.status': ['stopped'] } }, nested, false],
    ['a dot at the top level', { 'detail.state.status': ['running'] }, nested, true],
    ['exists on a dotted key', { detail: { 'state.status': [{ exists: true }] } }, dotted, true],
    [
      'the same field written twice, dotted then nested: the last one counts',
      { detail: { 'state.status': ['stopped'], state: { status: ['running'] } } },
      nested,
      true,
    ],
    [
      '…so the first one is not required',
      { detail: { state: { status: ['running'] }, 'state.status': ['stopped'] } },
      nested,
      false,
    ],
    ['an event with both forms has both values', { a: { b: [2] } }, { a: { b: 1 }, 'a.b': 2 }, true],
    ['…either of them matches', { a: { b: [1] } }, { a: { b: 1 }, 'a.b': 2 }, true],
    [
      'a field and its dotted child are two fields',
      { a: ['x'], 'a.b': ['y'] },
      { a: ['x', { b: 'y' }] },
      true,
    ],
    ['a dotted "__proto__" key is an ordinary field', { 'x.__proto__': ['p'] }, { 'x.__proto__': 'p' }, true],
  ]);
});

// https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-create-pattern-operators.html (Equals ignore
// case, Wildcard): both take any string, the empty one too; only anything-but prefix/suffix refuse ""
// (Event Ruler's compiler: "Null prefix/suffix not allowed").
describe('"" in wildcard and in equals-ignore-case', () => {
  expectMatches([
    ['wildcard "" matches the empty string', field('f', [{ wildcard: '' }]), field('f', ''), true],
    ['…and nothing else', field('f', [{ wildcard: '' }]), field('f', 'x'), false],
    [
      'equals-ignore-case "" matches the empty string',
      field('f', [{ 'equals-ignore-case': '' }]),
      field('f', ''),
      true,
    ],
    [
      'anything-but equals-ignore-case "" matches a non-empty string',
      field('f', [{ 'anything-but': { 'equals-ignore-case': '' } }]),
      field('f', 'x'),
      true,
    ],
    [
      '…and not the empty one',
      field('f', [{ 'anything-but': { 'equals-ignore-case': '' } }]),
      field('f', ''),
      false,
    ],
    ['anything-but wildcard ""', field('f', [{ 'anything-but': { wildcard: '' } }]), field('f', 'x'), true],
  ]);

  it.each([
    ['anything-but prefix ""', { prefix: '' }],
    ['anything-but suffix ""', { suffix: [''] }],
  ])('still refuses %s', (_name, form) => {
    expect(() => validatePattern(field('f', [{ 'anything-but': form }]))).toThrow(/non-empty string/);
  });
});

// Event Ruler's compiler (JsonRuleCompiler) expands "$or" into one sub-rule per alternative, each a copy
// of the fields written before the "$or", and writes a field into every sub-rule, replacing the one of
// the same name: the User Guide's note "if you include a key more than once the last reference will be
// the one used" (eb-create-pattern-operators.html), applied per alternative.
describe('$or and a field written outside it', () => {
  const sourceThenOr = { source: ['a'], $or: [{ source: ['b'] }, { x: ['1'] }] };
  const orThenSource = { $or: [{ source: ['b'] }, { x: ['1'] }], source: ['a'] };
  expectMatches([
    ['the alternative replaces the field before it: source b alone', sourceThenOr, { source: 'b' }, true],
    ['…not AND-ed with it', sourceThenOr, { source: 'a' }, false],
    ['the other alternative keeps the field', sourceThenOr, { source: 'a', x: '1' }, true],
    [
      'a field after the $or replaces it in every alternative: source b fails',
      orThenSource,
      { source: 'b' },
      false,
    ],
    ['…and source a alone now satisfies the first one', orThenSource, { source: 'a' }, true],
    [
      'nested: the alternative replaces detail.state',
      { detail: { state: ['x'], $or: [{ state: ['y'] }, { n: [1] }] } },
      { detail: { state: 'y' } },
      true,
    ],
  ]);
});

describe('what EventBridge refuses, beyond the syntax', () => {
  // Event Ruler's RESERVED_FIELD_NAMES_IN_OR_RELATIONSHIP: "… is Ruler reserved fieldName which cannot be used inside $or."
  it.each(['prefix', 'numeric', 'exists', 'anything-but', 'wildcard', '>=', 'cidr'])(
    'an operator name, %s, as a field inside $or',
    (name) => {
      const pattern = { $or: [{ [name]: ['a'] }, { b: ['c'] }] };
      expect(() => validatePattern(pattern)).toThrow(InvalidEventPatternError);
      expect(() => validatePattern(pattern)).toThrow(`"${name}" is a reserved word`);
    },
  );

  it('…at any depth inside the $or, but not outside it', () => {
    expect(() => validatePattern({ $or: [{ detail: { exists: ['x'] } }, { b: ['c'] }] })).toThrow(
      /detail\.exists: "exists" is a reserved word/,
    );
    expect(matchesPattern({ detail: { prefix: 'a' } }, { detail: { prefix: ['a'] } })).toBe(true);
  });

  // eb-create-pattern-operators.html: InvalidEventPatternException "if the use of $or results in over 1000
  // rule combinations"; the number of combinations is the product of each $or array's arguments.
  const alternatives = (n: number, name: string) =>
    Array.from({ length: n }, (_, i) => ({ [`${name}${i}`]: ['v'] }));
  it('accepts 10 × 10 × 10 = 1000 combinations', () => {
    const pattern = {
      a: { $or: alternatives(10, 'x') },
      b: { $or: alternatives(10, 'y') },
      c: { $or: alternatives(10, 'z') },
    };
    expect(() => validatePattern(pattern)).not.toThrow();
    expect(matchesPattern({ a: { x3: 'v' }, b: { y9: 'v' }, c: { z0: 'v' } }, pattern)).toBe(true);
    expect(matchesPattern({ a: { x3: 'v' }, b: { y9: 'v' } }, pattern)).toBe(false);
  });

  it('refuses one more $or of 2: 2000 combinations', () => {
    const pattern = {
      a: { $or: alternatives(10, 'x') },
      b: { $or: alternatives(10, 'y') },
      c: { $or: alternatives(10, 'z') },
      d: { $or: alternatives(2, 'w') },
    };
    expect(() => validatePattern(pattern)).toThrow(/more than 1000 combinations/);
  });

  // eb-create-pattern-operators.html, "Wildcards and event pattern complexity": a rule too complex is refused
  // with InvalidEventPatternException; its example to simplify, and its simpler form.
  it("refuses the User Guide's complex wildcard *:*:*:*:*:event-bus/*", () => {
    expect(() => validatePattern({ EventBusArn: [{ wildcard: '*:*:*:*:*:event-bus/*' }] })).toThrow(
      /EventBusArn: Rule is too complex/,
    );
  });

  it('accepts its simpler form arn:aws:events:us-east-1:*:event-bus/*', () => {
    expect(() =>
      validatePattern({ EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] }),
    ).not.toThrow();
  });

  it("measures a field's wildcards together, anything-but wildcards included", () => {
    const stack = (name: string) => ({ wildcard: `*:stack/${name}/*` });
    expect(() => validatePattern({ id: [stack('Shared'), stack('Compute'), stack('Data')] })).not.toThrow();
    expect(() =>
      validatePattern({ id: [stack('Shared'), stack('Compute'), stack('Data'), stack('Monitoring')] }),
    ).toThrow(/Rule is too complex/);
    expect(() =>
      validatePattern({
        id: [
          stack('Shared'),
          stack('Compute'),
          stack('Data'),
          { 'anything-but': { wildcard: '*:stack/M/*' } },
        ],
      }),
    ).toThrow(/Rule is too complex/);
  });

  // Event Ruler compares numbers as IEEE 754 doubles and refuses one that does not fit ("Cannot compare number").
  it.each([
    ['as an exact value', '{"n":[1e400]}'],
    ['in numeric', '{"n":[{"numeric":["<",1e400]}]}'],
    ['as a negative bound', '{"n":[{"numeric":[">",-1e400,"<",0]}]}'],
    ['in anything-but', '{"n":[{"anything-but":[1,1e400]}]}'],
  ])('a number that does not fit a double, %s', (_name, text) => {
    expect(() => validatePattern(JSON.parse(text))).toThrow(/is not a number a 64-bit double can hold/);
  });

  it('accepts the largest double', () => {
    const pattern = JSON.parse('{"n":[1.7976931348623157e308, {"numeric":["<=",1.7976931348623157e308]}]}');
    expect(matchesPattern({ n: Number.MAX_VALUE }, pattern)).toBe(true);
  });
});
