import { describe, expect, it } from 'vitest';
import { blockedPod, drainReport, missedDeadlineReport } from './report.fixture.ts';
import { MAX_LISTED_PODS, slackMessage } from './slack.ts';
import { summarize } from './summary.ts';

const machine = { noun: 'EC2 instance', id: 'i-0123456789abcdef0' } as const;

describe('slackMessage', () => {
  it('sets the channel only when one is configured', () => {
    const summary = summarize(drainReport(), { machine });
    expect(slackMessage(summary, '#ops').channel).toBe('#ops');
    expect(slackMessage(summary)).not.toHaveProperty('channel');
  });

  it('shows the facts of the drain as fields', () => {
    const text = JSON.stringify(slackMessage(summarize(drainReport(), { cluster: 'prod', machine })).blocks);

    for (const fact of [
      'ip-10-0-1-23.eu-west-1.compute.internal',
      '*Cluster*\\nprod',
      'spot-interruption (aws)',
      'drain: completed',
      '14 of 14 pods evicted',
      'deadline met (2025-03-01T10:02:00.000Z)',
      'cordon 85 ms, total 31250 ms',
      '*EC2 instance*\\n`i-0123456789abcdef0`',
      'event `evt-1`',
    ]) {
      expect(text).toContain(fact);
    }
  });

  it(`lists at most ${MAX_LISTED_PODS} blocked pods and counts the rest`, () => {
    const pods = Array.from({ length: 15 }, (_, i) => blockedPod('shop', `cart-${i}`));
    const message = slackMessage(summarize(missedDeadlineReport(pods), { machine }));
    const text = JSON.stringify(message.blocks);

    expect(text).toContain('shop/cart-9');
    expect(text).not.toContain('shop/cart-10');
    expect(text).toContain('…and 5 more');
    expect(text).toContain(':warning: deadline missed');
  });

  it('escapes what Slack would read as markup', () => {
    const message = slackMessage(summarize(drainReport({ node: '<!channel> & co' }), { machine }));

    expect(message.text).toContain('&lt;!channel&gt; &amp; co');
    expect(JSON.stringify(message)).not.toContain('<!channel>');
  });

  it('marks a dry run and leaves the deadline out of its headline', () => {
    const message = slackMessage(
      summarize(
        drainReport({ dryRun: true, outcome: 'dry-run', counts: { ...drainReport().counts, evicted: 0 } }),
        {
          machine,
        },
      ),
    );

    expect(message.text).toBe(
      '[dry run] Would drain node ip-10-0-1-23.eu-west-1.compute.internal after spot interruption: 14 evictable pods',
    );
  });

  it('says only what a cordon did, and names an Azure VM', () => {
    const resourceId =
      '/subscriptions/s/resourceGroups/mc_rg/providers/Microsoft.Compute/virtualMachines/vm-1';
    const report = drainReport({
      cloud: 'azure',
      kind: 'scheduled-event',
      action: 'cordon',
      deadline: undefined,
    });
    const message = slackMessage(
      summarize(report, { machine: { noun: 'Azure VM', id: resourceId }, kindLabel: 'scheduled event' }),
    );

    expect(message.text).toBe('Cordoned node ip-10-0-1-23.eu-west-1.compute.internal after scheduled event');
    expect(JSON.stringify(message.blocks)).toContain(`*Azure VM*\\n\`${resourceId}\``);
    expect(JSON.stringify(message.blocks)).toContain('*Deadline*\\nnone');
  });

  it('says when the action failed', () => {
    const message = slackMessage(
      summarize(drainReport({ outcome: 'failed', action: 'cleanup' }), { machine }),
    );
    expect(message.text).toMatch(/^Could not clean up node /);
  });
});
