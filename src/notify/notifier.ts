/**
 * Tells people what a drain did: Slack and/or a generic webhook, after the action.
 *
 * Once per node and interruption: only the invocation that wrote the node's marks for the event
 * notifies (report.markedByThisInvocation). Duplicate deliveries of the event, which find the marks in
 * place, and dry runs send nothing unless `force` is set (the CLI replay sets it).
 *
 * Notifying never fails the drain: every error is logged (status code or error name, never the URL,
 * which is the credential) and swallowed.
 */
import type { DrainReport } from '../drain/report.ts';
import { jsonLogger, type Logger } from '../logging.ts';
import { redactText } from '../redact.ts';
import { parseWebhookHeaders } from './headers.ts';
import { proxiedFetch } from './proxy.ts';
import {
  resolveSecretText,
  resolveSecretUrl,
  type SecretTextResolver,
  type SecretUrlResolver,
} from './secret-url.ts';
import { slackMessage } from './slack.ts';
import { type NotificationSummary, type NotifyContext, summarize } from './summary.ts';
import type { RenderedBody } from './template.ts';
import { webhookBody } from './webhook.ts';

export type { NotifyContext } from './summary.ts';

/** The notification settings (src/config.ts reads them: SLACK_URL, SPOT_DRAINER_WEBHOOK_URL, ...). */
export interface NotifySettings {
  /** A Slack incoming-webhook URL, or a secret reference to one. */
  slackUrl?: string;
  slackChannel?: string;
  /** A webhook URL (https, or http to loopback), or a secret reference to one. */
  webhookUrl?: string;
  /** The webhook body template; the default is the summary as JSON. */
  webhookTemplate?: string;
  /** Extra webhook headers: a JSON object of names to values, or a secret reference to one. */
  webhookHeaders?: string;
  /** An http(s) proxy URL every notification request goes through (CONNECT tunnel). */
  webhookProxy?: string;
  /** How long each target may take to answer, in ms. */
  notifyTimeoutMs: number;
  /** Shown as the cluster instead of the name the handler resolved (CLUSTER). */
  clusterDisplayName?: string;
  clusterName?: string;
}

/**
 * Replaceable dependencies of createNotifier; defaults: a JSON logger, the global fetch, and resolveSecretUrl
 * (plain URLs only).
 */
export interface NotifierDeps {
  logger?: Logger;
  fetch?: typeof globalThis.fetch;
  /** Turns a URL setting (a URL or a secret reference) into the URL. */
  resolveUrl?: SecretUrlResolver;
  /** Turns the headers setting (JSON, or a secret reference) into its text; default: plain JSON only. */
  resolveText?: SecretTextResolver;
}

/** Sends one drain's report to the configured targets (see the module comment for when it sends). */
export interface Notifier {
  /** Resolves once every target has answered, failed or timed out; never rejects. */
  notify(report: DrainReport, context: NotifyContext): Promise<void>;
}

interface Target {
  name: 'slack' | 'webhook';
  /** The variable the URL comes from, named in logs instead of the URL. */
  setting: 'SLACK_URL' | 'SPOT_DRAINER_WEBHOOK_URL';
  url: string;
  render(summary: NotificationSummary): RenderedBody;
  /** The headers setting (JSON or a reference), for the generic webhook only. */
  headers?: string;
}

/** Slack's error bodies are short codes (`invalid_payload`, `channel_not_found`); worth logging. */
const SLACK_ERROR_BODY_MAX = 100;

/**
 * Whether a report is sent: `force`, or this invocation (for the last report of a continuation chain:
 * the chain) wrote the node's marks and it was not a dry run. Duplicate deliveries of an event therefore
 * notify once per node and interruption, and a chain once, at its end.
 */
export function shouldNotify(report: DrainReport, options: { force?: boolean } = {}): boolean {
  const marked = report.chain ? report.chain.markedByChain : report.markedByThisInvocation;
  return options.force === true || (marked && !report.dryRun);
}

/**
 * A notifier for the Slack and webhook targets `settings` configures (none: `notify` does nothing). Each
 * target is a POST with redirects refused and `notifyTimeoutMs` to answer; nothing throws, failures are
 * logged without the URL.
 */
export function createNotifier(settings: NotifySettings, deps: NotifierDeps = {}): Notifier {
  const logger = deps.logger ?? jsonLogger();
  const fetch = deps.fetch ?? globalThis.fetch;
  const resolveUrl = deps.resolveUrl ?? resolveSecretUrl;
  const resolveText = deps.resolveText ?? resolveSecretText;
  const proxy = settings.webhookProxy;
  const targets = configuredTargets(settings);

  async function send(target: Target, summary: NotificationSummary, timeoutMs: number): Promise<void> {
    const where = { target: target.name, setting: target.setting };
    let url: string;
    let request: RenderedBody;
    let headers: Record<string, string>;
    let post: typeof globalThis.fetch;
    try {
      url = await resolveUrl(target.url);
      request = target.render(summary);
      const extra = target.headers ? parseWebhookHeaders(await resolveText(target.headers)) : {};
      headers = { 'content-type': request.contentType, ...extra };
      post = proxy ? await proxiedFetch(proxy) : fetch;
    } catch (error) {
      const { name, message } = error instanceof Error ? error : new Error(String(error));
      logger.warn('notification not sent', { ...where, error: name, reason: redactText(message) });
      return;
    }

    try {
      const response = await post(url, {
        method: 'POST',
        headers,
        body: request.body,
        // A redirect would resend the payload somewhere not configured; report it as a failure.
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const detail = await responseDetail(response, target);
      if (response.ok) logger.info('notification sent', { ...where, status: response.status });
      else logger.warn('notification failed', { ...where, status: response.status, ...detail });
    } catch (error) {
      // Only the error's name and code: fetch's messages can quote the URL.
      logger.warn('notification failed', { ...where, ...errorIdentity(error) });
    }
  }

  return {
    async notify(report, context) {
      if (targets.length === 0) return;
      if (!shouldNotify(report, context)) {
        logger.debug('notification skipped', {
          node: report.node,
          eventId: report.eventId,
          reason: report.dryRun ? 'dry run' : 'the marks were written by an earlier delivery',
        });
        return;
      }
      try {
        const cluster = settings.clusterDisplayName ?? context.cluster ?? settings.clusterName;
        const summary = summarize(report, { cluster, machine: context.machine });
        const timeoutMs = requestTimeoutMs(settings.notifyTimeoutMs, context.timeLeftMs?.());
        await Promise.all(targets.map((target) => send(target, summary, timeoutMs)));
      } catch (error) {
        logger.error('notification failed', { node: report.node, ...errorIdentity(error) });
      }
    },
  };
}

/** Kept between the end of a notification request and the end of the function's time, in ms. */
export const NOTIFY_MARGIN_MS = 250;

/**
 * How long one notification request may take (ms): `SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS`, cut to end
 * `NOTIFY_MARGIN_MS` before the function's time does (`timeLeftMs`), and at least 1 ms. Never throws.
 */
export function requestTimeoutMs(notifyTimeoutMs: number, timeLeftMs?: number): number {
  if (timeLeftMs === undefined || !Number.isFinite(timeLeftMs)) return notifyTimeoutMs;
  return Math.max(1, Math.min(notifyTimeoutMs, Math.floor(timeLeftMs - NOTIFY_MARGIN_MS)));
}

function configuredTargets(settings: NotifySettings): Target[] {
  const targets: Target[] = [];
  if (settings.slackUrl) {
    const channel = settings.slackChannel;
    targets.push({
      name: 'slack',
      setting: 'SLACK_URL',
      url: settings.slackUrl,
      render: (summary) => ({
        body: JSON.stringify(slackMessage(summary, channel)),
        contentType: 'application/json',
      }),
    });
  }
  if (settings.webhookUrl) {
    const template = settings.webhookTemplate;
    targets.push({
      name: 'webhook',
      setting: 'SPOT_DRAINER_WEBHOOK_URL',
      url: settings.webhookUrl,
      render: (summary) => webhookBody(summary, template),
      ...(settings.webhookHeaders ? { headers: settings.webhookHeaders } : {}),
    });
  }
  return targets;
}

/** Reads the response to the end (freeing the connection); keeps Slack's error code. */
async function responseDetail(response: Response, target: Target): Promise<{ response?: string }> {
  if (target.name !== 'slack' || response.ok) {
    await response.body?.cancel();
    return {};
  }
  const text = (await response.text()).trim().slice(0, SLACK_ERROR_BODY_MAX);
  return text ? { response: redactText(text) } : {};
}

function errorIdentity(error: unknown): { error: string; code?: string } {
  if (!(error instanceof Error)) return { error: typeof error };
  const cause = error.cause as { code?: unknown } | undefined;
  const code = (error as { code?: unknown }).code ?? cause?.code;
  return typeof code === 'string' ? { error: error.name, code } : { error: error.name };
}
