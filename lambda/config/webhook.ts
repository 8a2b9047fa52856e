/** The webhook as the provider reaches it: the path under the API's stage, and where the token may travel. */

/** The webhook path, under the API's stage. */
export const WEBHOOK_PATH = 'call-events';

/** Header names (lower case) the token is accepted in, besides `?token=`. */
export const TOKEN_HEADER = 'x-webhook-token';
