/** Telegram Bot API calls as job steps: its errors turned into "retry or not" (AppError.retryable). */
import { GrammyError, HttpError } from 'grammy';
import { AppError } from '../../errors.js';

/**
 * The bot token out of a message: grammY's network errors quote the request URL, which
 * carries it (`…/bot123:AAE…/sendMessage`), and job errors are shown to every token of the
 * project and logged.
 */
export const withoutBotToken = (message: string) => message.replace(/\/bot[^/\s]+/g, '/bot<TELEGRAM_BOT_TOKEN>').replace(/\b\d{3,}:[A-Za-z0-9_-]{20,}\b/g, '<TELEGRAM_BOT_TOKEN>');

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
  // Not kept as the cause either: the cause's message holds the token too.
  if (err instanceof HttpError) {
    return new AppError('BAD_GATEWAY', `Telegram could not be reached for ${what}: ${withoutBotToken(String((err.error as Error)?.message ?? err.message))}`, [], { retryable: true });
  }
  if (err instanceof AppError) return err;
  return new AppError('BAD_GATEWAY', `${what} failed: ${withoutBotToken(String((err as Error)?.message ?? err))}`, [], { retryable: true });
}

/** Editing a message to the text it already has is "not modified": the edit is done. */
export const notModified = (err: unknown) => err instanceof GrammyError && err.error_code === 400 && /not modified/i.test(err.description);

/** The user blocked the bot (or deleted their account): asking again will not help. */
export const blocked = (err: unknown) => err instanceof GrammyError && err.error_code === 403;
