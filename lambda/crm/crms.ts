/**
 * The CRMs calls are delivered into, and what the stack, the function and the docs need to know
 * of each: one place for their names, URL examples and default request rates (no SDK here, so
 * that lib/ reads it too).
 */
export const CRMS = {
  amocrm: {
    title: 'amoCRM / Kommo',
    urlExample: 'https://example.amocrm.ru',
    /** "Not more than 7 requests per second" (amocrm.ru/developers/content/api/recommendations). */
    requestsPerSecond: 7,
    /** The secret's JSON, as the operator puts it. */
    secretExample: '{"accessToken":"…"}',
  },
  bitrix24: {
    title: 'Bitrix24',
    urlExample: 'https://example.bitrix24.ru',
    /**
     * The leaky bucket's steady rate: 2 a second, 5 on Enterprise (the b24restdocs `limits.md`);
     * an Enterprise portal sets crmRequestsPerSecond=5.
     */
    requestsPerSecond: 2,
    secretExample: '{"clientId":"local.…","clientSecret":"…","refreshToken":"…"}',
    /** Bitrix24's cloud authorization server; an on-premises portal is its own. */
    oauthUrl: 'https://oauth.bitrix.info',
  },
} as const;

export type CrmName = keyof typeof CRMS;
export const CRM_NAMES = Object.keys(CRMS) as CrmName[];

export const isCrmName = (value: unknown): value is CrmName =>
  typeof value === 'string' && Object.hasOwn(CRMS, value);

/** The most requests a second a CRM setting may ask for (the slot limiter needs at least 2). */
export const REQUESTS_PER_SECOND_RANGE = { min: 2, max: 50 } as const;
