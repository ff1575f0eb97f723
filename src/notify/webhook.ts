/**
 * The generic webhook (Microsoft Teams workflows, PagerDuty, an internal endpoint...): the user's
 * SPOT_DRAINER_WEBHOOK_TEMPLATE rendered with the summary, or without a template the summary as JSON.
 */
import type { NotificationSummary } from './summary.ts';
import { type RenderedBody, renderTemplate } from './template.ts';

/**
 * The webhook POST body: the template rendered (see renderTemplate, which may throw), or without one the
 * summary as `application/json`.
 */
export function webhookBody(summary: NotificationSummary, template?: string): RenderedBody {
  if (template) return renderTemplate(template, summary);
  return { body: JSON.stringify(summary), contentType: 'application/json' };
}
