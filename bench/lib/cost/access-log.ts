/**
 * The API stage's access log lines as API Gateway would write them: the stack's own format (read
 * from the synthesized template, lib/constructs/webhook-api.ts) with each `$context` variable
 * filled as for the request that was made. What a request does not tell (its id, time, source
 * address, latencies) takes a typical value of the same length; a variable with no value here
 * is an error, so that a field added to the stack's format is priced rather than ignored.
 */
import { WEBHOOK_PATH } from '../../../lambda/config/webhook';
import { type CfnTemplate, resourcesOfType } from '../../../local/template';

/** What the bench knows of one request. */
export interface LoggedRequest {
  status: number;
  responseBytes: number;
}

const TYPICAL: Record<string, (r: LoggedRequest) => string> = {
  'context.requestId': () => '1f4c2a9e-6b1d-4c3e-9a8f-2d7b5e0c1a34',
  'context.requestTime': () => '04/Dec/2026:18:04:05 +0000',
  'context.identity.sourceIp': () => '203.0.113.24',
  // The provider's HTTP client does not name itself in its documentation; a common one's length.
  'context.identity.userAgent': () => 'Go-http-client/1.1',
  'context.httpMethod': () => 'POST',
  'context.resourcePath': () => `/${WEBHOOK_PATH}`,
  'context.status': (r) => String(r.status),
  'context.responseLength': (r) => String(r.responseBytes),
  'context.responseLatency': () => '38',
  'context.integrationStatus': (r) => String(r.status),
  'context.integrationLatency': () => '35',
  // API Gateway writes "-" for a variable with no value: no error, no trace without X-Ray.
  'context.error.message': (r) => (r.status < 400 ? '-' : 'Forbidden'),
  'context.xrayTraceId': () => '-',
};

/** The access log format of the template's one REST API stage. */
export function accessLogFormatOf(template: CfnTemplate): string {
  const formats = resourcesOfType(template, 'AWS::ApiGateway::Stage').flatMap(([, stage]) => {
    const format = (stage.Properties?.AccessLogSetting as { Format?: unknown } | undefined)?.Format;
    return typeof format === 'string' ? [format] : [];
  });
  if (formats.length !== 1)
    throw new Error(`Expected one API stage with an access log format, found ${formats.length}`);
  return formats[0] as string;
}

/** One access log line of `format` for `request`. */
export function accessLogLine(format: string, request: LoggedRequest): string {
  return format.replace(/\$context\.[A-Za-z.]+[A-Za-z]/g, (variable) => {
    const value = TYPICAL[variable.slice(1)];
    if (!value) throw new Error(`The cost bench has no typical value for the access log's ${variable}`);
    return value(request);
  });
}
