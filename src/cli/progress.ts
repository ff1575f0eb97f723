import type { DrainProgress } from '../drain/engine.ts';

/** One status line on a terminal: pods evicted out of total, waiting on PDBs, time to the deadline. */
export function progressLine(progress: DrainProgress, deadline: Date | undefined, now = Date.now()): string {
  const parts = [`${progress.phase}`, `${progress.accepted}/${progress.evictable} pods evicted`];
  if (progress.blockedByPdb > 0) parts.push(`${progress.blockedByPdb} waiting on PodDisruptionBudgets`);
  if (deadline) parts.push(`${Math.max(0, Math.round((deadline.getTime() - now) / 1000))} s to deadline`);
  return parts.join(' · ');
}

/**
 * An `onProgress` callback that rewrites one terminal line (`\r` and erase-line) per progress report, at most
 * every 100 ms while evicting, and ends the line when the drain is done. `deadline` is read at each report,
 * so a retimed interruption shows its own.
 */
export function terminalProgress(stream: NodeJS.WriteStream, deadline: () => Date | undefined) {
  let last = 0;
  return (progress: DrainProgress) => {
    const now = Date.now();
    if (progress.phase === 'evicting' && now - last < 100) return;
    last = now;
    stream.write(
      `\r\x1b[2K${progressLine(progress, deadline(), now)}${progress.phase === 'done' ? '\n' : ''}`,
    );
  };
}
