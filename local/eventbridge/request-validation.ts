/**
 * The request checks the service applies before an action runs: its members' types (a
 * SerializationException) and the API model's constraints (one ValidationException listing every
 * broken constraint, worded as the service words them), so that a client sees the same refusals
 * locally as from AWS (EventBridge API Reference, each action's "Request Parameters").
 */
import { AwsJsonError } from './put-events';

/** `[\.\-_A-Za-z0-9]+`: a rule's name and a target's id (API Reference, PutRule and Target). */
export const NAME_PATTERN = '[\\.\\-_A-Za-z0-9]+';
/** A bus's name or ARN, as the rule actions take it (EventBusNameOrArn). */
export const BUS_NAME_OR_ARN_PATTERN =
  '(arn:aws[\\w-]*:events:[a-z]{2}-[a-z]+-[\\w-]+:[0-9]{12}:event-bus\\/)?[/\\.\\-_A-Za-z0-9]+';

export interface StringConstraint {
  required?: boolean;
  min?: number;
  max?: number;
  pattern?: string;
  enum?: readonly string[];
}

/** Reads one request's members, collecting every broken constraint before it fails the call. */
export class RequestReader {
  private readonly problems: string[] = [];

  constructor(private readonly request: Record<string, unknown>) {}

  /** The JSON body of a call: an object, or a SerializationException. */
  static of(body: string): RequestReader {
    let request: unknown;
    try {
      request = body.trim() === '' ? {} : JSON.parse(body);
    } catch {
      throw new AwsJsonError('SerializationException', 'Request body is not valid JSON');
    }
    if (typeof request !== 'object' || request === null || Array.isArray(request)) {
      throw new AwsJsonError('SerializationException', 'Request body must be a JSON object');
    }
    return new RequestReader(request as Record<string, unknown>);
  }

  /** A string member; `at` is the name the service's messages use (camelCase, `targets.1.member.id`). */
  string(member: string, at: string, constraint: StringConstraint = {}): string | undefined {
    return this.stringValue(this.request[member], member, at, constraint);
  }

  stringValue(value: unknown, member: string, at: string, constraint: StringConstraint): string | undefined {
    if (value === undefined || value === null) {
      if (constraint.required)
        this.problems.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      return undefined;
    }
    if (typeof value !== 'string') throw serialization(member, 'a string');
    const broken = (rule: string) =>
      this.problems.push(`Value '${value}' at '${at}' failed to satisfy constraint: Member must ${rule}`);
    if (constraint.min !== undefined && value.length < constraint.min) {
      broken(`have length greater than or equal to ${constraint.min}`);
    }
    if (constraint.max !== undefined && value.length > constraint.max) {
      broken(`have length less than or equal to ${constraint.max}`);
    }
    if (constraint.pattern !== undefined && !new RegExp(`^(?:${constraint.pattern})$`).test(value)) {
      broken(`satisfy regular expression pattern: ${constraint.pattern}`);
    }
    if (constraint.enum !== undefined && !constraint.enum.includes(value)) {
      broken(`satisfy enum value set: [${constraint.enum.join(', ')}]`);
    }
    return value;
  }

  /** An integer member within `[min, max]` (Limit). */
  integer(member: string, at: string, min: number, max: number): number | undefined {
    const value = this.request[member];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value)) throw serialization(member, 'an integer');
    if (value < min) {
      this.problems.push(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must have value greater than or equal to ${min}`,
      );
    }
    if (value > max) {
      this.problems.push(
        `Value '${value}' at '${at}' failed to satisfy constraint: Member must have value less than or equal to ${max}`,
      );
    }
    return value;
  }

  boolean(member: string): boolean | undefined {
    const value = this.request[member];
    if (value === undefined || value === null) return undefined;
    if (typeof value !== 'boolean') throw serialization(member, 'a boolean');
    return value;
  }

  /** A list member of `[min, max]` items, each read by `item` (given its 1-based position). */
  list<T>(
    member: string,
    at: string,
    bounds: { min: number; max?: number },
    item: (value: unknown, position: number) => T,
  ): T[] {
    const value = this.request[member];
    if (value === undefined || value === null) {
      this.problems.push(`Value null at '${at}' failed to satisfy constraint: Member must not be null`);
      return [];
    }
    if (!Array.isArray(value)) throw serialization(member, 'a list');
    if (value.length < bounds.min) {
      this.problems.push(
        `Value '[]' at '${at}' failed to satisfy constraint: Member must have length greater than or equal to ${bounds.min}`,
      );
    }
    if (bounds.max !== undefined && value.length > bounds.max) {
      this.problems.push(
        `Value with ${value.length} items at '${at}' failed to satisfy constraint: Member must have length less than or equal to ${bounds.max}`,
      );
    }
    return value.map((v, i) => item(v, i + 1));
  }

  /** Fails the call with every broken constraint, as one ValidationException. */
  done(): void {
    const count = this.problems.length;
    if (count === 0) return;
    throw new AwsJsonError(
      'ValidationException',
      `${count} validation error${count === 1 ? '' : 's'} detected: ${this.problems.join('; ')}`,
    );
  }
}

const serialization = (member: string, expected: string) =>
  new AwsJsonError('SerializationException', `${member} must be ${expected}`);
