/**
 * Boundary values of the time settings (issue #12 kind 2): each duration setting at 0, at its documented
 * maximum and around the deadline safety margin does what docs/configuration.md says, and no moment the
 * drain waits for lies at or after the end of its time budget (such a moment is never reached).
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, drainSettingsFrom, loadConfig } from '../config.ts';
import { createBudget } from './budget.ts';
import { forceDeleteAt } from './evict.ts';

const accepted = (env: NodeJS.ProcessEnv) => {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return undefined;
    throw error;
  }
};

const now = Date.parse('2030-01-01T10:01:30Z');
const deadline = Date.parse('2030-01-01T10:02:00Z');

/** The force-delete moment and the budget's end for these settings, as the drain engine derives them. */
function moments(env: NodeJS.ProcessEnv) {
  const config = loadConfig({ SPOT_DRAINER_DEADLINE_POLICY: 'force-delete', ...env });
  const settings = drainSettingsFrom(config);
  const budget = createBudget({
    deadline: new Date(deadline),
    deadlineSafetyMs: settings.deadlineSafetyMs,
    clock: () => now,
  });
  const at = forceDeleteAt(
    {
      deadlinePolicy: settings.deadlinePolicy,
      forceDeleteLeadMs: settings.forceDeleteLeadMs,
      graceDeadline: deadline - settings.deadlineSafetyMs,
    },
    budget.deadline,
  );
  return { at: at ?? Number.NaN, stopAt: budget.stopAt() };
}

describe('SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS ("0 or more": how long before the deadline pods are deleted)', () => {
  it.each([
    ['0', 'the latest moment reached', deadline - 1500],
    ['0.5', 'below the 1 s safety margin: the latest moment reached', deadline - 1500],
    ['1', 'equal to the safety margin: the latest moment reached', deadline - 1500],
    ['1.5', 'just above it: the lead', deadline - 1500],
    ['2', 'the lead', deadline - 2000],
    ['10', 'the default', deadline - 10_000],
    ['30', 'all the time there is: at the first refusal', now],
    ['3600', 'more than there is: at the first refusal', deadline - 3_600_000],
  ])('%s s: deleted at %s, before the budget ends', (lead, _what, expected) => {
    const { at, stopAt } = moments({ SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: lead });
    expect(at).toBe(expected);
    expect(at).toBeLessThan(stopAt);
  });

  it('refuses a negative lead', () => {
    expect(accepted({ SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: '-1' })).toBeUndefined();
  });
});

describe('SPOT_DRAINER_DEADLINE_SAFETY_SECONDS ("0 or more": stop working this long before the deadline)', () => {
  it.each([
    ['0', deadline],
    ['0.5', deadline - 500],
    ['1', deadline - 1000],
    ['30', now],
    ['120', deadline - 120_000],
  ])(
    '%s s: the work stops that long before the deadline, and a lead of 0 still force-deletes before',
    (safety, stop) => {
      const { at, stopAt } = moments({
        SPOT_DRAINER_DEADLINE_SAFETY_SECONDS: safety,
        SPOT_DRAINER_FORCE_DELETE_LEAD_SECONDS: '0',
      });
      expect(stopAt).toBe(stop);
      expect(at).toBeLessThan(stopAt);
    },
  );

  it('refuses a negative margin', () => {
    expect(accepted({ SPOT_DRAINER_DEADLINE_SAFETY_SECONDS: '-1' })).toBeUndefined();
  });
});

describe('SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS ("an integer from 30 to 7200")', () => {
  it.each([
    ['29', undefined],
    ['30', 30],
    ['7200', 7200],
    ['7201', undefined],
    ['0', undefined],
  ])('%s → %s', (value, expected) => {
    expect(
      accepted({ SPOT_DRAINER_LIFECYCLE_HOOK_TIMEOUT_SECONDS: value })?.lifecycleHookTimeoutSeconds,
    ).toBe(expected);
  });
});

describe('SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS ("above 0, at most 60")', () => {
  it.each([
    ['0', undefined],
    ['0.001', 1],
    ['60', 60_000],
    ['60.5', undefined],
  ])('%s → %s ms', (value, expected) => {
    expect(accepted({ SPOT_DRAINER_NOTIFY_TIMEOUT_SECONDS: value })?.notifyTimeoutMs).toBe(expected);
  });
});
