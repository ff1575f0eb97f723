/**
 * The Slack incoming-webhook message, set up like aws-node-termination-handler's (SLACK_URL, optional
 * SLACK_CHANNEL, the CLUSTER name in the text): `text` for previews and clients without blocks, `blocks`
 * for the details.
 */
import { type NotificationSummary, podsPhrase } from './summary.ts';

/**
 * The JSON body POSTed to a Slack incoming webhook (https://api.slack.com/messaging/webhooks): `text` is the
 * fallback and notification text, `blocks` Block Kit sections
 * (https://api.slack.com/reference/block-kit/blocks), `channel` overrides the webhook's default channel
 * where Slack still honours it.
 */
export interface SlackMessage {
  text: string;
  channel?: string;
  blocks: SlackBlock[];
}

type SlackText = { type: 'mrkdwn'; text: string };
type SlackBlock =
  | { type: 'section'; text: SlackText }
  | { type: 'section'; fields: SlackText[] }
  | { type: 'context'; elements: SlackText[] };

/** Slack shows at most this many pod names; the rest are counted. */
export const MAX_LISTED_PODS = 10;

/**
 * The Slack message for a summary. Text is mrkdwn with `&`, `<` and `>` escaped as Slack requires
 * (https://api.slack.com/reference/surfaces/formatting#escaping); at most MAX_LISTED_PODS blocked pods are
 * named.
 */
export function slackMessage(summary: NotificationSummary, channel?: string): SlackMessage {
  const fields: SlackText[] = [
    field('Node', `\`${escapeMrkdwn(summary.node)}\``),
    field('Cluster', escapeMrkdwn(summary.cluster ?? '-')),
    field('Interruption', `${escapeMrkdwn(summary.kind)} (${summary.cloud})`),
    field('Action', `${summary.action}: ${summary.outcome}`),
    field('Pods', escapeMrkdwn(podsPhrase(summary))),
    field('Deadline', deadlineText(summary)),
    field('Time taken', timeText(summary)),
    field(summary.machineNoun, `\`${escapeMrkdwn(summary.machineId)}\``),
  ];
  const blocks: SlackBlock[] = [
    { type: 'section', text: mrkdwn(`*${escapeMrkdwn(summary.headline)}*`) },
    { type: 'section', fields },
  ];
  if (summary.blockedPods.length > 0) {
    blocks.push({ type: 'section', text: mrkdwn(blockedPodsText(summary.blockedPods)) });
  }
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`spot-drainer · event \`${escapeMrkdwn(summary.eventId)}\``)],
  });

  return { text: escapeMrkdwn(summary.headline), ...(channel ? { channel } : {}), blocks };
}

function deadlineText(summary: NotificationSummary): string {
  if (summary.deadlineStatus === 'none') return 'none';
  const status = summary.deadlineStatus === 'missed' ? ':warning: deadline missed' : 'deadline met';
  return `${status} (${summary.deadline})`;
}

function timeText(summary: NotificationSummary): string {
  const cordon = summary.cordonMs === null ? 'cordon -' : `cordon ${summary.cordonMs} ms`;
  return `${cordon}, total ${summary.durationMs} ms`;
}

function blockedPodsText(pods: string[]): string {
  const listed = pods.slice(0, MAX_LISTED_PODS).map((pod) => `• \`${escapeMrkdwn(pod)}\``);
  const more = pods.length - listed.length;
  if (more > 0) listed.push(`…and ${more} more`);
  return `*Still blocked by PodDisruptionBudgets*\n${listed.join('\n')}`;
}

function field(label: string, value: string): SlackText {
  return mrkdwn(`*${label}*\n${value}`);
}

function mrkdwn(text: string): SlackText {
  return { type: 'mrkdwn', text };
}

/** The three characters Slack requires escaped in message text. */
function escapeMrkdwn(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;');
}
