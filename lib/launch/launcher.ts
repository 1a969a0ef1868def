// `latent-emulator launch`: torchrun's job for one node, without Python. Starts `nproc-per-node` copies of
// a command with torchrun's variables (RANK, LOCAL_RANK, WORLD_SIZE, LOCAL_WORLD_SIZE, GROUP_RANK,
// MASTER_ADDR, MASTER_PORT, TORCHELASTIC_RESTART_COUNT), forwards Ctrl-C/SIGTERM to them (each rank runs in
// its own process group and gets the signal once), and when one fails stops the others (SIGTERM, then
// SIGKILL after a grace period) and fails naming the rank.
import { spawn, type ChildProcess } from 'node:child_process';

export interface LaunchOptions {
  nprocPerNode: number;
  nnodes?: number;
  nodeRank?: number;
  masterAddr?: string;
  masterPort?: number;
  /** The program and its arguments, started once per local rank. */
  command: string[];
  env?: Record<string, string | undefined>;
  /**
   * Seconds every rank waits for the others, at the rendezvous and in each collective (torch's `timeout`;
   * passed to the ranks as $LATENT_EMULATOR_DIST_TIMEOUT; default: theirs, else 1800).
   */
  timeout?: number;
  /** Seconds between SIGTERM and SIGKILL when stopping the surviving ranks (default 10). */
  gracePeriod?: number;
  log?: (line: string) => void;
}

export interface RankExit {
  rank: number;
  localRank: number;
  pid: number;
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface LaunchResult {
  /** 0 when every rank succeeded. */
  exitCode: number;
  exits: RankExit[];
  /** The first rank that failed, and why, in words. */
  failure?: string;
}

function checkInteger(name: string, value: number, min: number, max = Number.MAX_SAFE_INTEGER): void {
  if (!Number.isInteger(value) || value < min || value > max) throw new Error(`launch: ${name} must be an integer in [${min}, ${max}], got ${value}`);
}

/** torchrun's variables for local rank `localRank` of this node. */
export function rankEnvironment(o: LaunchOptions, localRank: number): Record<string, string> {
  const nnodes = o.nnodes ?? 1;
  const nodeRank = o.nodeRank ?? 0;
  return {
    RANK: String(nodeRank * o.nprocPerNode + localRank),
    LOCAL_RANK: String(localRank),
    WORLD_SIZE: String(nnodes * o.nprocPerNode),
    LOCAL_WORLD_SIZE: String(o.nprocPerNode),
    GROUP_RANK: String(nodeRank),
    ROLE_RANK: String(nodeRank * o.nprocPerNode + localRank),
    ROLE_WORLD_SIZE: String(nnodes * o.nprocPerNode),
    MASTER_ADDR: o.masterAddr ?? '127.0.0.1',
    MASTER_PORT: String(o.masterPort ?? 29500),
    TORCHELASTIC_RESTART_COUNT: '0',
    TORCHELASTIC_MAX_RESTARTS: '0',
  };
}

function describe(e: RankExit): string {
  return e.signal ? `was killed by ${e.signal}` : `exited with code ${e.code}`;
}

/** Runs the ranks of this node to the end; resolves with how each ended (never rejects once started). */
export function launch(o: LaunchOptions): Promise<LaunchResult> {
  checkInteger('--nproc-per-node', o.nprocPerNode, 1);
  checkInteger('--nnodes', o.nnodes ?? 1, 1);
  checkInteger('--node-rank', o.nodeRank ?? 0, 0, (o.nnodes ?? 1) - 1);
  checkInteger('--master-port', o.masterPort ?? 29500, 1, 65535);
  if (o.timeout !== undefined && !(o.timeout > 0)) throw new Error(`launch: --timeout must be a positive number of seconds, got ${o.timeout}`);
  if (o.command.length === 0) throw new Error('launch: no command to start (put it after --, e.g. launch --nproc-per-node 2 -- train-ae ...)');
  const log = o.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const grace = (o.gracePeriod ?? 10) * 1000;
  const [program, ...args] = o.command;

  return new Promise((resolve) => {
    const children: { child: ChildProcess; rank: number; localRank: number; exit?: RankExit }[] = [];
    let failure: string | undefined;
    let stopping = false;
    let killTimer: NodeJS.Timeout | undefined;

    const stopOthers = (signal: NodeJS.Signals) => {
      if (stopping) return;
      stopping = true;
      for (const c of children) if (!c.exit) c.child.kill(signal);
      killTimer = setTimeout(() => {
        for (const c of children) if (!c.exit) c.child.kill('SIGKILL');
      }, grace);
      killTimer.unref();
    };
    // An interrupt forwarded to the ranks: each saves and exits 130 (SIGINT) or 143 (SIGTERM), which is then
    // the launcher's own exit code too (stopped early, not failed), so scripts and schedulers see it.
    let interrupted: number | undefined;
    const isInterruptExit = (e: RankExit) => interrupted !== undefined && !e.signal && (e.code === 130 || e.code === 143);
    const forward = (signal: NodeJS.Signals) => () => {
      interrupted = signal === 'SIGINT' ? 130 : 143;
      for (const c of children) if (!c.exit) c.child.kill(signal);
    };
    const onInt = forward('SIGINT');
    const onTerm = forward('SIGTERM');
    const onExit = () => {
      for (const c of children) if (!c.exit) c.child.kill('SIGKILL');  // never leave ranks behind
    };
    process.on('SIGINT', onInt);
    process.on('SIGTERM', onTerm);
    process.on('exit', onExit);

    const finished = () => {
      if (children.some((c) => !c.exit)) return;
      if (killTimer) clearTimeout(killTimer);
      process.off('SIGINT', onInt);
      process.off('SIGTERM', onTerm);
      process.off('exit', onExit);
      const exits = children.map((c) => c.exit!);
      const stoppedEarly = !failure && exits.some(isInterruptExit);
      resolve({ exitCode: failure ? 1 : stoppedEarly ? interrupted! : 0, exits, failure });
    };

    for (let localRank = 0; localRank < o.nprocPerNode; localRank++) {
      const env: Record<string, string | undefined> = { ...(o.env ?? process.env), ...rankEnvironment(o, localRank) };
      if (o.timeout !== undefined) env.LATENT_EMULATOR_DIST_TIMEOUT = String(o.timeout);
      const rank = Number(env.RANK);
      // Its own process group: a terminal's Ctrl-C reaches the launcher alone, which forwards it once (a rank
      // that got it twice would quit without saving).
      const child = spawn(program!, args, { env, stdio: 'inherit', detached: true });
      const entry: (typeof children)[number] = { child, rank, localRank };
      children.push(entry);
      const onEnd = (code: number | null, signal: NodeJS.Signals | null) => {
        if (entry.exit) return;
        entry.exit = { rank, localRank, pid: child.pid ?? -1, code, signal };
        if (isInterruptExit(entry.exit)) {
          finished();
          return;
        }
        if ((code !== 0 || signal) && !failure && !stopping) {
          failure = `rank ${rank} (local rank ${localRank}, pid ${entry.exit.pid}) ${describe(entry.exit)}`;
          log(`launch: ${failure}; stopping the other ranks`);
          stopOthers('SIGTERM');
        } else if ((code !== 0 || signal) && !failure) {
          failure = `rank ${rank} (local rank ${localRank}, pid ${entry.exit.pid}) ${describe(entry.exit)}`;
        }
        finished();
      };
      child.on('exit', onEnd);
      child.on('error', (err) => {
        if (!failure) failure = `rank ${rank} could not start ${program}: ${err.message}`;
        log(`launch: ${failure}`);
        stopOthers('SIGTERM');
        onEnd(127, null);
      });
    }
  });
}
