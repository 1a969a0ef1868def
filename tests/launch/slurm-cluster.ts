// A one-node Slurm cluster for tests, from Debian's slurm-wlm: slurmctld and slurmd run as root in the
// foreground (auth/none, cred/none, proctrack/pgid) from a slurm.conf generated in a temporary folder, on
// free ports, and are stopped by their PIDs. `slurmAbsence()` says why the tests cannot run, if so.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, hostname } from 'node:os';
import { join } from 'node:path';

import { freePort } from './helpers.js';

export function slurmAbsence(): string | undefined {
  for (const tool of ['slurmctld', 'slurmd', 'srun', 'sbatch', 'squeue']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) return `${tool} is not installed (apt-get install slurm-wlm; .ci/run does)`;
  }
  if (process.getuid?.() !== 0) return 'the test cluster runs slurmd as root, and this is not root';
  return undefined;
}

export interface Cluster {
  env: Record<string, string>;
  dir: string;
  stop(): Promise<void>;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function startCluster(dir: string): Promise<Cluster> {
  mkdirSync(join(dir, 'state'), { recursive: true });
  mkdirSync(join(dir, 'spool'), { recursive: true });
  const host = hostname();
  const [ctldPort, dPort] = [await freePort(), await freePort()];
  const conf = join(dir, 'slurm.conf');
  writeFileSync(
    conf,
    [
      'ClusterName=letest',
      `SlurmctldHost=${host}(127.0.0.1)`,
      `SlurmctldPort=${ctldPort}`,
      `SlurmdPort=${dPort}`,
      'AuthType=auth/none',
      'CredType=cred/none',
      'ProctrackType=proctrack/pgid',
      'TaskPlugin=task/none',
      'SelectType=select/cons_tres',
      'SelectTypeParameters=CR_CPU',
      'SchedulerType=sched/backfill',
      `StateSaveLocation=${dir}/state`,
      `SlurmdSpoolDir=${dir}/spool`,
      `SlurmctldPidFile=${dir}/slurmctld.pid`,
      `SlurmdPidFile=${dir}/slurmd.pid`,
      `SlurmctldLogFile=${dir}/slurmctld.log`,
      `SlurmdLogFile=${dir}/slurmd.log`,
      'SlurmUser=root',
      'SlurmdUser=root',
      'ReturnToService=2',
      'MpiDefault=none',
      'JobCompType=jobcomp/none',
      'AccountingStorageType=accounting_storage/none',
      'JobAcctGatherType=jobacct_gather/none',
      `NodeName=${host} NodeAddr=127.0.0.1 CPUs=${Math.max(2, cpus().length)} RealMemory=1000 State=UNKNOWN`,
      `PartitionName=test Nodes=${host} Default=YES MaxTime=INFINITE State=UP OverSubscribe=YES`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, SLURM_CONF: conf } as Record<string, string>;
  const daemons: ChildProcess[] = [
    spawn('slurmctld', ['-D', '-i', '-f', conf], { env, stdio: 'ignore' }),
    spawn('slurmd', ['-D', '-f', conf, '-N', host], { env, stdio: 'ignore' }),
  ];
  const stop = async () => {
    for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill('SIGTERM');
    for (let waited = 0; waited < 10_000 && daemons.some((d) => d.exitCode === null && d.signalCode === null); waited += 100) await sleep(100);
    for (const d of daemons) if (d.exitCode === null && d.signalCode === null) d.kill('SIGKILL');
  };
  // Ready when the node is idle.
  for (let waited = 0; ; waited += 250) {
    const r = spawnSync('sinfo', ['-h', '-o', '%t'], { env, encoding: 'utf8' });
    if (r.status === 0 && /idle/.test(r.stdout)) break;
    if (waited > 30_000 || daemons.some((d) => d.exitCode !== null)) {
      await stop();
      throw new Error(`the test Slurm cluster did not come up (see ${dir}/slurmctld.log, slurmd.log): ${r.stdout}${r.stderr}`);
    }
    await sleep(250);
  }
  return { env: { SLURM_CONF: conf }, dir, stop };
}

/** Waits until the queue holds none of `jobIds`. */
export async function waitForJobs(cluster: Cluster, jobIds: string[], timeoutMs: number): Promise<void> {
  for (let waited = 0; waited < timeoutMs; waited += 500) {
    const r = spawnSync('squeue', ['-h', '-o', '%i', '-j', jobIds.join(',')], { env: { ...process.env, ...cluster.env }, encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim() === '') return;
    if (r.status !== 0 && /Invalid job id/.test(r.stderr)) return;
    await sleep(500);
  }
  throw new Error(`Slurm jobs ${jobIds.join(', ')} still queued after ${timeoutMs / 1000} s`);
}
