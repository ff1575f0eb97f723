import { describe, expect, it } from 'vitest';
import { createBudget } from './budget.ts';

describe('createBudget', () => {
  const now = 1_000_000;
  const clock = () => now;

  it('stops at the deadline less the safety margin, or the function time less the reserve, whichever is first', () => {
    const byDeadline = createBudget({ deadline: new Date(now + 10_000), deadlineSafetyMs: 1_000, clock });
    expect(byDeadline.stopAt()).toBe(now + 9_000);
    const byFunction = createBudget({
      deadline: new Date(now + 10_000),
      remainingTimeMs: () => 5_000,
      clock,
    });
    expect(byFunction.stopAt()).toBe(now + 3_000);
    expect(byFunction.limitedByFunctionTime()).toBe(true);
  });

  it('with pastDeadline: continue, reports the deadline but works past it (cleanup of a machine already gone)', () => {
    const late = createBudget({
      deadline: new Date(now - 60_000),
      remainingTimeMs: () => 30_000,
      clock,
      pastDeadline: 'continue',
    });
    expect(late.deadline).toBe(now - 60_000);
    expect(late.expired()).toBe(false);
    expect(late.remainingMs()).toBe(28_000);
    const stopped = createBudget({ deadline: new Date(now - 60_000), remainingTimeMs: () => 30_000, clock });
    expect(stopped.expired()).toBe(true);
  });
});
