// Ctrl-C (or SIGTERM) during a long command: the first asks the work to stop cleanly (a training run
// saves its checkpoint), the second quits at once. A command stopped this way exits 128 + the signal's
// number (130 for SIGINT, 143 for SIGTERM) after saving, so scripts and schedulers know it stopped early.
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController();
  let interrupts = 0;
  let exitCode = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts++;
    exitCode = signal === 'SIGTERM' ? 143 : 130;
    if (interrupts > 1) {
      // Quit at once, by the signal itself (the shell reports 128 + its number): process.exit would run exit
      // handlers and static destructors while native work may still run on the compute thread (seen to crash).
      process.removeAllListeners('SIGINT');
      process.removeAllListeners('SIGTERM');
      process.kill(process.pid, signal);
      return;
    }
    process.stderr.write('\ninterrupt: stopping after this step and saving (Ctrl-C again to quit without saving)\n');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    if (exitCode) process.exitCode = exitCode;
  }
}
