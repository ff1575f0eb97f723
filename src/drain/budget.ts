/**
 * The time a drain may use: until the machine goes away (less a safety margin) or until the function
 * itself is stopped (less a reserve to log and report), whichever comes first.
 */
export interface TimeBudget {
  now(): number;
  /** Epoch ms when work must stop; Infinity when neither the event nor the platform sets a limit. */
  stopAt(): number;
  remainingMs(): number;
  expired(): boolean;
  /** Epoch ms of the interruption itself, if the event named one. */
  readonly deadline?: number;
  /** True once the function's own time, not the interruption deadline, is what limits the work. */
  limitedByFunctionTime(): boolean;
}

export interface BudgetOptions {
  deadline?: Date;
  /** Lambda's getRemainingTimeInMillis, or the Azure Function timeout left. */
  remainingTimeMs?: () => number;
  clock?: () => number;
  /** Stop this long before the machine goes away (default 1 s). */
  deadlineSafetyMs?: number;
  /** Keep this long of the function's time for reporting (default 2 s). */
  functionReserveMs?: number;
}

export function createBudget(options: BudgetOptions): TimeBudget {
  const clock = options.clock ?? Date.now;
  const deadline = options.deadline?.getTime();
  const safety = options.deadlineSafetyMs ?? 1000;
  const reserve = options.functionReserveMs ?? 2000;
  const interruptionStop = () => (deadline === undefined ? Number.POSITIVE_INFINITY : deadline - safety);
  const functionStop = () =>
    options.remainingTimeMs ? clock() + options.remainingTimeMs() - reserve : Number.POSITIVE_INFINITY;
  const stopAt = () => Math.min(interruptionStop(), functionStop());
  return {
    now: clock,
    deadline,
    stopAt,
    remainingMs: () => stopAt() - clock(),
    expired: () => stopAt() <= clock(),
    limitedByFunctionTime: () => functionStop() < interruptionStop(),
  };
}
