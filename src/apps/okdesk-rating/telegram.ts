/** Telegram Bot API calls as job steps: its errors turned into "retry or not" (AppError.retryable). */
import { GrammyError, HttpError } from 'grammy';
import { AppError } from '../../errors.js';

/**
 * 403 (the user blocked the bot, or left) and other 4xx (chat not found, a bad request)
 * will fail again, so they end the job; 429, 5xx and network errors are retried.
 */
export function telegramError(err: unknown, what: string): AppError {
  if (err instanceof GrammyError) {
    const retryable = err.error_code === 429 || err.error_code >= 500;
    const status = err.error_code === 403 ? 403 : 502;
    return new AppError('BAD_GATEWAY', `Telegram refused ${what}: ${err.error_code} ${err.description}`, [], { retryable, status, cause: err });
  }
  if (err instanceof HttpError) {
    return new AppError('BAD_GATEWAY', `Telegram could not be reached for ${what}: ${String((err.error as Error)?.message ?? err.message)}`, [], { retryable: true, cause: err });
  }
  if (err instanceof AppError) return err;
  return new AppError('BAD_GATEWAY', `${what} failed: ${(err as Error)?.message ?? err}`, [], { retryable: true, cause: err });
}

/** Editing a message to the text it already has is "not modified": the edit is done. */
export const notModified = (err: unknown) => err instanceof GrammyError && err.error_code === 400 && /not modified/i.test(err.description);

/** The user blocked the bot (or deleted their account): asking again will not help. */
export const blocked = (err: unknown) => err instanceof GrammyError && err.error_code === 403;
