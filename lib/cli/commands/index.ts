// Every CLI command lives in its own file and exports `register(program)`; list them here.
import type { Command } from 'commander';
import { register as build } from './build.js';
import { register as cacheLatents } from './cache-latents.js';
import { register as demo } from './demo.js';
import { register as distill } from './distill.js';
import { register as doctor } from './doctor.js';
import { register as download } from './download.js';
import { register as emulate } from './emulate.js';
import { register as evaluate } from './eval.js';
import { register as experiment } from './experiment.js';
import { register as generate } from './generate.js';
import { register as inspect } from './inspect.js';
import { register as launch } from './launch.js';
import { register as libtorch } from './libtorch.js';
import { register as report } from './report.js';
import { register as slurm } from './slurm.js';
import { register as stats } from './stats.js';
import { register as trainAe } from './train-ae.js';
import { register as trainDiffusion } from './train-diffusion.js';
import { register as trainSurrogate } from './train-surrogate.js';

type Register = (program: Command) => void;
const commands: Register[] = [demo, doctor, libtorch, build, inspect, stats, download, generate, trainAe, cacheLatents, trainDiffusion, trainSurrogate, distill, evaluate, emulate, report, experiment, launch, slurm];

export function registerCommands(program: Command): void {
  for (const register of commands) register(program);
}
