/**
 * zod as the code uses it: `zod/mini`, whose functions leave out of the function bundles whatever they
 * do not use (classic `zod` pulls in about 450 KB, mini about 20 KB). Import it from here, as a
 * namespace: `import * as z from './zod.ts'`. Importing `{ z }` (from here or from `zod/mini`) hands
 * esbuild the namespace as a value, and it then bundles the whole of zod again; importing `zod` itself
 * brings classic zod back.
 *
 * Classic zod sets up English issue messages by itself, while mini leaves every message at "Invalid
 * input". Event reasons and configuration errors quote zod's messages, so they are set up here the way
 * classic zod does it: only when no locale has been chosen yet.
 */
import { en } from 'zod/locales';
import { config } from 'zod/mini';

if (!config().localeError) config(en());

export * from 'zod/mini';
