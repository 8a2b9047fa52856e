/** The provider's `ResultCode` table (EndIncCall, MissedIncCall, EndOutCall), in English. */
export const RESULT_CODES: Readonly<Record<string, string>> = {
  '200': 'Successful call',
  '304': 'Missed call',
  '603': 'Declined',
  '603-S': 'Call cancelled',
  '403': 'Forbidden',
  '404': 'Invalid number',
  '486': 'Busy',
  '484': 'Destination not available',
  '503': 'Destination not available',
  '480': 'Temporarily unavailable',
  '402': 'Insufficient funds on the account',
  '423': 'Blocked',
};

/** The meaning of a known code; undefined for a code the provider has not documented. */
export function resultText(code: string | undefined): string | undefined {
  return code !== undefined && Object.hasOwn(RESULT_CODES, code) ? RESULT_CODES[code] : undefined;
}
