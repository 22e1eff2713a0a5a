/** Test helper: a small two-VM workload for sweeps (two sequential readers in a, a random writer in b). */
export function testVms() {
  return [
    { name: 'a', threads: [{ name: 'r', count: 2, size_gb: 0.05 }] },
    { name: 'b', threads: [{ name: 'w', op: 'write', pattern: 'random', block_kb: 8, size_gb: 0.05 }] },
  ];
}
