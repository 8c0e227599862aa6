/** The registered built-in apps. Adding one is adding it here: nothing else names it. */
import type { BuiltinApp } from './app.js';
import { meetingsApp } from './meetings/index.js';
import { okdeskRatingApp } from './okdesk-rating/index.js';

export const BUILTIN_APPS: BuiltinApp<any>[] = [meetingsApp, okdeskRatingApp];
