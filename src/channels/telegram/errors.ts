import { DeliveryError } from '../errors.ts';
import { TelegramApiError } from './api.ts';

/** 403 descriptions that mean this user cannot be reached any more: the contact is marked blocked. */
const BLOCKED = /blocked by the user|user is deactivated/i;

/** Maps a Bot API failure onto the engine's typed delivery error (providers.md §2.6). */
export function toDeliveryError(error: unknown): DeliveryError {
  if (!(error instanceof TelegramApiError)) {
    return new DeliveryError('Telegram send failed unexpectedly', { code: 'network_error', retryable: true });
  }
  const { errorCode: status, description } = error;
  if (status === 429) {
    return new DeliveryError(description, {
      code: 'rate_limited',
      retryable: true,
      retryAfterMs: Math.max(1, error.retryAfter ?? 1) * 1000,
    });
  }
  if (status === 403) {
    const blocked = BLOCKED.test(description);
    return new DeliveryError(description, {
      code: blocked ? 'blocked' : 'forbidden',
      retryable: false,
      blocked,
    });
  }
  if (status === 0 || status >= 500) {
    return new DeliveryError(description, {
      code: status ? `http_${status}` : 'network_error',
      retryable: true,
    });
  }
  if (status === 401 || status === 404) {
    return new DeliveryError('Telegram refused the bot token', { code: 'unauthorized', retryable: false });
  }
  return new DeliveryError(description, {
    code: status === 400 ? 'bad_request' : `http_${status}`,
    retryable: false,
  });
}

/** Telegram's answer to markup it cannot parse (providers.md §2.3). */
export const isEntityParseError = (error: unknown): boolean =>
  error instanceof TelegramApiError &&
  error.errorCode === 400 &&
  /can't parse entities/i.test(error.description);
