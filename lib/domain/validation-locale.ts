// zod/mini carries no messages of its own: this gives every schema zod's English ones (the messages classic
// zod printed), loaded once. Only the one locale: `z.locales` would bundle all of them.
import { config } from 'zod/mini';
import en from 'zod/v4/locales/en.js';

config(en());
