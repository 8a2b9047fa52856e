/**
 * Whether a text (an item, a log line, a delivery) still holds a customer's number in clear: in
 * any format the provider or a person writes it in (mentionsNumber), or as its bare national
 * digits anywhere, even inside longer runs of digits.
 */
import { customerNumber, mentionsNumber } from '../../lambda/shared/phone';

export function holdsNumber(text: string, number: string): boolean {
  const e164 = customerNumber(number, 'RU');
  if (mentionsNumber(text, e164, 'RU')) return true;
  const national = e164.startsWith('+7') ? e164.slice(2) : e164.replace(/\D/g, '');
  return text.replace(/\D/g, ' ').includes(national) || text.includes(national);
}

/** The numbers of `numbers` that `text` holds in clear. */
export const numbersIn = (text: string, numbers: readonly string[]) =>
  numbers.filter((n) => holdsNumber(text, n));
