/**
 * What the rating bot says (Russian, as in seed 004) and its keyboards, as plain Telegram
 * Bot API objects so any client (grammY, a test) can send them. Texts are plain text:
 * send them without `parse_mode`. Only the Okdesk comment is HTML, and it is escaped.
 */

export interface InlineButton { text: string; callback_data: string }
export interface InlineKeyboard { inline_keyboard: InlineButton[][] }
export interface ReplyKeyboard {
  keyboard: { text: string; request_contact?: boolean }[][];
  resize_keyboard?: boolean;
  one_time_keyboard?: boolean;
}
export interface BotMessage<M = InlineKeyboard | ReplyKeyboard | { remove_keyboard: true }> {
  text: string;
  reply_markup?: M;
}

/** Seed 004's five buttons, best first: score → label. */
export const RATING_LABELS: Record<number, string> = {
  5: 'Отлично',
  4: 'Хорошо',
  3: 'Нормально',
  2: 'Плохо',
  1: 'Ужасно',
};

export const stars = (score: number): string => '⭐'.repeat(Math.max(0, Math.min(5, Math.trunc(score))));

export const NEW_ISSUE_CALLBACK = 'new_issue';
export const SHARE_PHONE_BUTTON = '📱 Поделиться номером телефона';

/** `rate:<ratingId>:<score>`; the rating id is ours (`rtg_…`, 30 chars): Telegram allows 64 bytes of callback_data. */
export const rateCallback = (ratingId: string, score: number): string => `rate:${ratingId}:${score}`;

/** Only `rate:<id>:<1-5>` is accepted; anything else (old buttons, forged data) → undefined. */
export function parseRateCallback(data: string): { ratingId: string; score: number } | undefined {
  const m = /^rate:([A-Za-z0-9_-]{1,57}):([1-5])$/.exec(data);
  return m ? { ratingId: m[1]!, score: Number(m[2]) } : undefined;
}

const issueRef = (issueId: string, title?: string): string => (title ? `№${issueId} «${title}»` : `№${issueId}`);

/** The rating request sent when an issue is resolved (seed 004, step 4). */
export function ratingRequest(input: { ratingId: string; issueId: string; title?: string }): BotMessage<InlineKeyboard> {
  return {
    text:
      `🔔 Ваша заявка ${issueRef(input.issueId, input.title)} решена.\n\n` +
      '⭐ Пожалуйста, оцените качество выполненной работы:',
    reply_markup: {
      inline_keyboard: [5, 4, 3, 2, 1].map((score) => [
        { text: `${stars(score)} ${RATING_LABELS[score]} (${score})`, callback_data: rateCallback(input.ratingId, score) },
      ]),
    },
  };
}

/** The rating message edited after a choice: thanks, the stars, and a new-issue button (step 6). */
export function ratingThanks(input: { issueId: string; title?: string; score: number }): BotMessage<InlineKeyboard> {
  return {
    text:
      `Спасибо за оценку заявки ${issueRef(input.issueId, input.title)}!\n` +
      `Ваша оценка: ${stars(input.score)} ${input.score} из 5 (${RATING_LABELS[input.score]}).`,
    reply_markup: { inline_keyboard: [[{ text: 'Создать новую заявку', callback_data: NEW_ISSUE_CALLBACK }]] },
  };
}

export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The Okdesk comment (HTML `content`) that stores a rating on the issue. */
export function ratingComment(score: number, note?: string): string {
  const head = `<p>Оценка клиента: ${stars(score)} ${score} из 5 (${escapeHtml(RATING_LABELS[score] ?? '')})</p>`;
  return note ? `${head}<p>${escapeHtml(note)}</p>` : head;
}

export function startGreeting(): BotMessage<ReplyKeyboard> {
  return {
    text:
      '👋 Здравствуйте! Это бот службы поддержки.\n\n' +
      'Чтобы получать уведомления о заявках и оценивать работу, поделитесь номером телефона — ' +
      'мы найдём вас среди контактов Okdesk.',
    reply_markup: {
      keyboard: [[{ text: SHARE_PHONE_BUTTON, request_contact: true }]],
      resize_keyboard: true,
      one_time_keyboard: true,
    },
  };
}

export const linkedOk = (name: string): BotMessage => ({
  text:
    `✅ Готово${name ? `, ${name}` : ''}! Ваш Telegram связан с контактом в Okdesk.\n` +
    'Мы сообщим, когда заявка будет решена, и попросим её оценить.\n\n' +
    '/new — создать заявку, /my — мои заявки.',
  reply_markup: { remove_keyboard: true },
});

export const phoneNotFound = (phone: string): string =>
  `😔 Контакт с номером ${phone} не найден в Okdesk. Обратитесь в поддержку, чтобы вас добавили, и попробуйте снова: /start`;

export const notOwnContact = (): string =>
  'Пожалуйста, поделитесь своим номером телефона кнопкой «📱 Поделиться номером телефона», а не контактом другого человека.';

export const askTitle = (): string => '📝 Новая заявка. Кратко опишите проблему (тема заявки):';
export const askDescription = (): string => 'Теперь опишите проблему подробнее:';
export const issueCreated = (issueId: string): string =>
  `✅ Заявка №${issueId} создана. Мы сообщим, когда она будет решена.`;

export function issueList(issues: { id: string; title: string; statusName: string }[]): string {
  if (issues.length === 0) return noIssues();
  const lines = issues.map((i) => `№${i.id} «${i.title}» — ${i.statusName || 'статус неизвестен'}`);
  return `📋 Ваши заявки:\n\n${lines.join('\n')}`;
}

export const noIssues = (): string => 'У вас пока нет заявок. Создать новую: /new';
export const alreadyRated = (): string => 'Вы уже оценили эту заявку. Спасибо!';
export const ratingNotYours = (): string => 'Эта оценка недоступна: она не найдена или относится к другому пользователю.';
export const notLinked = (): string =>
  'Сначала свяжите Telegram с Okdesk: отправьте /start и поделитесь номером телефона.';

export const helpText = (): string =>
  'Я помогаю работать с заявками в службе поддержки:\n\n' +
  '/start — связать Telegram с контактом Okdesk по номеру телефона\n' +
  '/new — создать новую заявку\n' +
  '/my — список моих заявок\n\n' +
  'Когда заявка будет решена, я попрошу оценить работу от 1 до 5 звёзд.';

export const okdeskUnavailable = (): string => '⚠️ Okdesk сейчас недоступен. Попробуйте, пожалуйста, чуть позже.';
export const issueQueued = (): string => '⏳ Создаём заявку…';
export const thanksShort = (score: number): string => `Спасибо! Ваша оценка: ${stars(score)} (${score})`;
