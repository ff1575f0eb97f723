import * as z from '../zod.ts';

// Date.parse alone accepts almost anything ("1" is the year 2001), so only the two formats the clouds
// send get through: ISO 8601 with a time and a zone (envelopes), and the RFC 7231 HTTP date (AWS Health
// startTime, Azure NotBefore: "Fri, 20 Nov 2026 10:00:00 GMT").
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;
const HTTP_DATE =
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/;

/**
 * The instant `text` names, or undefined when it is neither ISO 8601 with a time and a zone
 * (`2026-11-20T10:00:00Z`) nor an RFC 7231 HTTP date (`Fri, 20 Nov 2026 10:00:00 GMT`). Never throws.
 */
export function parseTimestamp(text: string): Date | undefined {
  if (!ISO_8601.test(text) && !HTTP_DATE.test(text)) return undefined;
  const millis = Date.parse(text);
  return Number.isNaN(millis) ? undefined : new Date(millis);
}

/** A timestamp string, validated and turned into a Date. */
export const timestamp = z.pipe(
  z.string(),
  z.transform((text: string, context) => {
    const date = parseTimestamp(text);
    if (date) return date;
    context.issues.push({
      code: 'custom',
      message: `expected an ISO 8601 or RFC 7231 timestamp, got "${text}"`,
      input: text,
    });
    return z.NEVER;
  }),
);

/** `date` plus `seconds` (may be fractional or negative), as a new Date. */
export function addSeconds(date: Date, seconds: number): Date {
  return new Date(date.getTime() + seconds * 1000);
}
