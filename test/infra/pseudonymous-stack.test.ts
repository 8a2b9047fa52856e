/** `-c customerNumbers=pseudonymous`: the ingest's own entry, its key in a kept secret that only it reads, and the tools' output. */
import { INGEST_ENV } from '../../lambda/config/environment';
import { logicalId, permissionsOf, refOf, synthesize } from './synth';

const PLAIN_ENTRY = 'lambda/functions/ingest-call-event.ts';
const PSEUDONYMOUS_ENTRY = 'lambda/functions/ingest-call-event-pseudonymous.ts';

describe('pseudonymous mode', () => {
  const { stack, template } = synthesize({ customerNumbers: 'pseudonymous', defaultCountry: 'KZ' });
  const key = stack.webhook.customerNumberKey;
  const ingest = stack.webhook.ingestFunction;
  const variables = () =>
    template.findResources('AWS::Lambda::Function')[logicalId(ingest)]?.Properties.Environment.Variables;

  it('runs the ingest from its pseudonymous entry, with the key secret and the country numbers are read in', () => {
    expect(ingest.entry).toBe(PSEUDONYMOUS_ENTRY);
    expect(key).toBeDefined();
    expect(variables()).toMatchObject({
      [INGEST_ENV.customerNumberKeySecretArn]: refOf(key as NonNullable<typeof key>),
      [INGEST_ENV.defaultCountry]: 'KZ',
    });
    expect(variables()[INGEST_ENV.customerNumberKey]).toBeUndefined();
  });

  it('keeps the key when the stack is deleted, and generates 64 characters of it', () => {
    const resources = template.findResources('AWS::SecretsManager::Secret');
    const secret = resources[logicalId(key as NonNullable<typeof key>)];
    expect(secret?.DeletionPolicy).toBe('Retain');
    expect(secret?.UpdateReplacePolicy).toBe('Retain');
    expect(secret?.Properties.GenerateSecretString).toMatchObject({
      PasswordLength: 64,
      ExcludePunctuation: true,
    });
  });

  it('lets the ingest alone read it', () => {
    const readers = Object.entries(template.findResources('AWS::IAM::Policy')).filter(([, policy]) =>
      JSON.stringify(policy.Properties.PolicyDocument).includes(
        JSON.stringify(refOf(key as NonNullable<typeof key>)),
      ),
    );
    expect(readers).toHaveLength(1);
    const permissions = permissionsOf(template, logicalId(ingest.executionRole));
    expect(permissions).toContainEqual({
      action: 'secretsmanager:GetSecretValue',
      resource: refOf(key as NonNullable<typeof key>),
    });
  });

  it('names the key secret in an output, for the tools', () => {
    expect(template.findOutputs('CustomerNumberKeySecretArn').CustomerNumberKeySecretArn?.Value).toEqual(
      refOf(key as NonNullable<typeof key>),
    );
  });
});

describe('plain mode (the default)', () => {
  const { stack, template } = synthesize({});
  it('runs the ingest without a phone library, with no pseudonym key anywhere', () => {
    expect(stack.webhook.ingestFunction.entry).toBe(PLAIN_ENTRY);
    expect(stack.webhook.customerNumberKey).toBeUndefined();
    expect(template.findOutputs('CustomerNumberKeySecretArn')).toEqual({});
    expect(JSON.stringify(template.toJSON())).not.toContain(INGEST_ENV.customerNumberKeySecretArn);
  });
});
