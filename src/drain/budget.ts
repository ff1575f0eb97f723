/**
 * The time one interruption may use: until the machine goes away (less a safety margin) or until the
 * function itself is stopped (less a reserve to log and report), whichever comes first. All times are
 * epoch milliseconds, all durations milliseconds.
 *
 * Create one budget per interruption, as soon as the entry point has parsed it, and pass it down: node
 * resolution, the drain and every attempt loop (`withAttempts`) then share one idea of how long is left.
 */
export interface TimeBudget {
  /** The clock the budget reads (epoch ms); tests inject their own. */
  now(): number;
  /** Epoch ms when work must stop; `Infinity` when neither the event nor the platform sets a limit. */
  stopAt(): number;
  /** Milliseconds until `stopAt()`; negative once past it, `Infinity` when unlimited. */
  remainingMs(): number;
  /** True once `stopAt()` has passed. */
  expired(): boolean;
  /** Epoch ms of the interruption itself (when the machine goes away), if the event named one. */
  readonly deadline?: number;
  /** True while the function's own time, not the interruption deadline, is what limits the work. */
  limitedByFunctionTime(): boolean;
}

/** How `createBudget` derives the stop time. */
export interface BudgetOptions {
  /** When the machine goes away (the interruption's deadline); none: no interruption limit. */
  deadline?: Date;
  /** Milliseconds the function has left: Lambda's getRemainingTimeInMillis, or the Azure timeout left. */
  remainingTimeMs?: () => number;
  /** Epoch-ms clock (default `Date.now`). */
  clock?: () => number;
  /** Stop this many ms before the machine goes away (default 1000). */
  deadlineSafetyMs?: number;
  /** Keep this many ms of the function's time for logging and reporting (default 2000). */
  functionReserveMs?: number;
  /**
   * `continue`: the deadline is reported but does not stop the work. For cleanup, whose machine is gone
   * already: deleting its pods is worth doing (and retrying) however late. Default `stop`.
   */
  pastDeadline?: 'stop' | 'continue';
}

/**
 * A budget that stops at `deadline - deadlineSafetyMs` or at `now + remainingTimeMs() - functionReserveMs`,
 * whichever is earlier. `remainingTimeMs` is read on every call, so the function's time is never cached.
 * Never throws.
 */
export function createBudget(options: BudgetOptions): TimeBudget {
  const clock = options.clock ?? Date.now;
  const deadline = options.deadline?.getTime();
  const safety = options.deadlineSafetyMs ?? 1000;
  const reserve = options.functionReserveMs ?? 2000;
  const interruptionStop = () =>
    deadline === undefined || options.pastDeadline === 'continue'
      ? Number.POSITIVE_INFINITY
      : deadline - safety;
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
