/**
 * The rules and targets users add to local mode with PutRule / PutTargets, kept in one JSON file
 * so that they survive a restart of `npm start` as they would survive anything in AWS. Written
 * whole or not at all; a file that cannot be read stops the start rather than drop the rules.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { writeFileAtomic } from '../state-file';

/** A target as PutTargets took it: `Id` and `Arn`, and whatever else it was given, kept as given. */
const storedTarget = z.looseObject({ Id: z.string().min(1), Arn: z.string().min(1) });

const storedRule = z.object({
  Name: z.string().min(1),
  EventBusName: z.string().min(1),
  /** The pattern as PutRule received it (a JSON string), so that DescribeRule answers it back unchanged. */
  EventPattern: z.string().min(1),
  State: z.string().min(1),
  Description: z.string().optional(),
  RoleArn: z.string().optional(),
  Targets: z.array(storedTarget),
});

const userRulesFile = z.object({ rules: z.array(storedRule) });

export type StoredTarget = z.infer<typeof storedTarget>;
export type StoredRule = z.infer<typeof storedRule>;

export class UserRulesFileError extends Error {
  override name = 'UserRulesFileError';
}

/** The rules a previous run kept; none when there is no file yet. */
export function readUserRules(path: string): StoredRule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw fileError(path, (error as Error).message);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw fileError(path, text.length === 0 ? 'it is empty' : 'it is not valid JSON');
  }
  const parsed = userRulesFile.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw fileError(
      path,
      `${issue?.path.map(String).join('.') || 'the file'}: ${issue?.message ?? 'invalid'}`,
    );
  }
  return parsed.data.rules;
}

export function writeUserRules(path: string, rules: readonly StoredRule[]): void {
  writeFileAtomic(path, `${JSON.stringify({ rules }, null, 2)}\n`);
}

export const fileError = (path: string, why: string) =>
  new UserRulesFileError(
    `${path} cannot be read (${why}); it holds the rules added with PutRule. Fix it, or delete it to start without them, then run npm start again`,
  );
