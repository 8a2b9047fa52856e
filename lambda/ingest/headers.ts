/** Reads a request header as API Gateway hands headers over: one value per name, in the case the client sent. */
export type Params = Readonly<Record<string, string | undefined>> | null | undefined;

/** The value of header `name` (lower case), whatever case the client sent it in. */
export function header(headers: Params, name: string): string | undefined {
  if (!headers) return undefined;
  for (const [key, value] of Object.entries(headers)) {
    if (key.toLowerCase() === name) return value;
  }
  return undefined;
}
