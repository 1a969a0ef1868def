// The c10d backend: Gloo for CPU training, NCCL for CUDA training (one GPU per rank), NCCL only in CUDA builds
// with NCCL's headers; a build without it says so instead of failing somewhere in a collective.
import { backendFor } from '../../lib/launch/process-group.js';
import { distributedDoctorLine } from '../../lib/launch/rendezvous.js';
import { native } from '../../lib/native/loader.js';

describe('backendFor', () => {
  test('cuda ranks use NCCL, everything else Gloo', () => {
    expect(backendFor(undefined, { localWorldSize: 2 })).toBe('gloo');
    expect(backendFor('cpu', { localWorldSize: 2 })).toBe('gloo');
    expect(backendFor('cuda', { localWorldSize: 4 })).toBe('nccl');
    expect(backendFor('cuda:1', { localWorldSize: 1 })).toBe('nccl');  // one rank per node may name its GPU
  });

  test('several ranks on a node cannot share one named GPU', () => {
    expect(() => backendFor('cuda:1', { localWorldSize: 2 })).toThrow(/train\.device=cuda:1: with 2 ranks on this node each rank uses its own GPU \(cuda:LOCAL_RANK\); set train\.device=cuda/);
  });
});

const addon = native();
const cpuBuild = !addon.info().cudaBuilt;

(cpuBuild ? describe : describe.skip)('a CPU build', () => {
  test('has the Gloo backend only', () => {
    expect(addon.distributed.backends).toEqual(['gloo']);
  });

  test('refuses NCCL before any rendezvous, saying why', async () => {
    await expect(addon.distributed.init({ rank: 0, worldSize: 2, localRank: 0, masterAddr: '127.0.0.1', masterPort: 1, timeoutSeconds: 1, useAgentStore: false, restartCount: 0, backend: 'nccl' })).rejects.toThrow(
      /the NCCL backend \(data-parallel training on CUDA\) is not available in this addon: it was built against a CPU libtorch or without NCCL's headers \(nccl\.h\)/,
    );
    expect(addon.distributed.info().active).toBe(false);
  });

  test('doctor says NCCL is unavailable', () => {
    expect(distributedDoctorLine(() => true, addon.distributed.backends)).toMatch(/^c10d Gloo \(CPU\); NCCL unavailable \(CPU build, or built without nccl\.h\); this process runs alone$/);
  });
});

test('an unknown backend is refused by name', async () => {
  await expect(addon.distributed.init({ rank: 0, worldSize: 2, localRank: 0, masterAddr: '127.0.0.1', masterPort: 1, timeoutSeconds: 1, useAgentStore: false, restartCount: 0, backend: 'mpi' })).rejects.toThrow(/unknown backend "mpi" \(gloo or nccl\)/);
});

test('doctor names both backends in a build that has NCCL', () => {
  expect(distributedDoctorLine(() => true, ['gloo', 'nccl'])).toMatch(/^c10d Gloo \(CPU\) and NCCL \(CUDA\); /);
});
