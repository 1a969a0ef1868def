// Inference speed: wall time per emulated state (rollout and decoding, over all ensemble members) and,
// when the evaluation timed the built-in numerical solver, the speed-up over it.
import { esc, fmt, fmtRatio, fmtSeconds, MISSING } from './html.js';
import type { ReportModel, ReportRun } from './model.js';
import { runLabelHtml } from './overview.js';
import { table } from './table.js';

/** solver.seconds_per_state / seconds_per_state, or null when either is missing or not positive. */
export function speedup(r: ReportRun): number | null {
  const mine = r.summary.speed?.seconds_per_state;
  const solver = r.summary.solver?.seconds_per_state;
  return typeof mine === 'number' && typeof solver === 'number' && mine > 0 && solver > 0 ? solver / mine : null;
}

export function speedSection(model: ReportModel): string {
  const rows = model.runs.map((r) => {
    const s = r.summary.speed;
    const device = s?.device ? `${esc(s.device)}${typeof s.threads === 'number' ? `, ${esc(s.threads)} threads` : ''}` : MISSING;
    return [
      runLabelHtml(r),
      device,
      esc(fmt(s?.samples)),
      esc(fmt(s?.states)),
      esc(fmtSeconds(s?.encode_seconds)),
      esc(fmtSeconds(s?.rollout_seconds)),
      esc(fmtSeconds(s?.decode_seconds)),
      { html: esc(fmtSeconds(s?.seconds_per_state)), className: 'key' },
      esc(fmtSeconds(r.summary.solver?.seconds_per_state)),
      { html: esc(fmtRatio(speedup(r))), className: 'key' },
    ];
  });
  const solvers = [
    ...new Set(
      model.runs
        .map((r) => r.summary.solver)
        .filter((s) => s)
        .map((s) => `${s!.name ?? 'solver'}${typeof s!.resolution === 'number' ? ` at ${s!.resolution}×${s!.resolution}` : ''}`),
    ),
  ];
  const solverNote = solvers.length ? `<p>Built-in solver timed: ${solvers.map((x) => esc(x)).join('; ')}.</p>` : '<p>No built-in solver was timed, so no speed-up is given.</p>';
  return `<section id="speed" aria-labelledby="speed-h"><h2 id="speed-h">Speed</h2>
<p>Time per emulated state = (rollout + decoding) / (members × states). Speed-up = the built-in solver's time per state divided by the emulator's (an indication on this machine, not a benchmark).</p>
${table({
  caption: 'Inference time',
  head: ['Evaluation', 'Device', 'Members', 'States', 'Encode', 'Rollout', 'Decode', 'Time per state', 'Solver per state', 'Speed-up'],
  rows,
  className: 'num',
})}${solverNote}</section>`;
}
