/**
 * Teardown on every way out. The control plane's processes run in their own process groups (so a
 * terminal's Ctrl-C reaches only the process that started them), and etcd keeps its data in /dev/shm:
 * whoever starts a control plane must stop it, whether it finishes, throws, or is interrupted.
 *
 * tearDownOnExit() makes this process stop every control plane it owns (see ownedControlPlanes()):
 * - SIGINT / SIGTERM: stop them gracefully (SIGTERM each process group, SIGKILL after a short grace),
 *   remove their state, then exit with 130 / 143 (128 + the signal number, as shells report it). A second
 *   signal exits at once, leaving the rest to the exit handler.
 * - exit, including after an uncaught exception or unhandled rejection: SIGKILL their process groups and
 *   remove their state synchronously (nothing asynchronous runs then).
 */
import { constants } from 'node:os';
import { killControlPlaneNow, ownedControlPlanes, stopControlPlane } from './control-plane.ts';

/** Options of {@link tearDownOnExit}. */
export interface TeardownOptions {
  /** Keep each control plane's state directory (logs, certificates); etcd's tmpfs data goes regardless. */
  keepDir?: boolean;
  /** How long each component may take to exit after SIGTERM on a signal; 2000 ms. */
  graceMs?: number;
  /** Where to say what is being torn down; stderr by default. */
  log?: (line: string) => void;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;

/** The exit code for a signal: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + constants.signals[signal];
}

/**
 * Installs SIGINT, SIGTERM and exit handlers, ahead of any already there, that tear down the control
 * planes this process owns (at the time the handler runs, so ones started later are covered too).
 * Returns a function that removes the handlers again. Installing replaces Node's default of dying on
 * SIGINT / SIGTERM; the handlers always end the process, with 130 / 143, unless another listener ends
 * it first (then the exit handler still kills and cleans up synchronously).
 */
export function tearDownOnExit(options: TeardownOptions = {}): () => void {
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  let interrupted = false;

  const onExit = () => {
    for (const info of ownedControlPlanes()) killControlPlaneNow(info, { keepDir: options.keepDir });
  };

  const onSignal = (signal: NodeJS.Signals) => {
    const code = signalExitCode(signal);
    if (interrupted) process.exit(code);
    interrupted = true;
    const owned = ownedControlPlanes();
    if (owned.length === 0) process.exit(code);
    log(
      `spot-drainer: ${signal}: stopping the local control plane (${owned.map((info) => info.dir).join(', ')})`,
    );
    Promise.allSettled(
      owned.map((info) =>
        stopControlPlane(info, { keepDir: options.keepDir, graceMs: options.graceMs ?? 2000 }),
      ),
    ).then((results) => {
      const failed = results.filter((result) => result.status === 'rejected');
      log(
        failed.length === 0
          ? 'spot-drainer: stopped, and its temporary state removed'
          : `spot-drainer: teardown failed: ${failed.map((result) => String((result as PromiseRejectedResult).reason)).join('; ')}`,
      );
      process.exit(code);
    });
  };

  // First in line: a listener that calls process.exit() (vitest's does, on exit and on signals) ends the
  // process on the spot, and listeners after it never run.
  process.prependListener('exit', onExit);
  for (const signal of SIGNALS) process.prependListener(signal, onSignal);
  return () => {
    process.off('exit', onExit);
    for (const signal of SIGNALS) process.off(signal, onSignal);
  };
}
