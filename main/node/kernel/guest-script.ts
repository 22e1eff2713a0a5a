/**
 * The guest's /init (busybox sh) and fio job files for one run. Stages are printed on the serial
 * console as `PVBLK-STAGE name`, failures as `PVBLK-FAIL reason`; results (fio JSON and per-request
 * latency logs, the sysfs read-back, block-layer counters) are written as a tar archive to the
 * second virtio disk (/dev/vdb) before power-off.
 *
 * Timing: every fio job waits at a barrier (exec_prerun) until all jobs are ready, then the init
 * marks the start by reading metadata sector MARK_GO (the NBD server records when it arrives) and
 * notes the guest's CLOCK_MONOTONIC (/proc/uptime); fio's logs carry CLOCK_MONOTONIC ms
 * (log_alternate_epoch_clock_id=1). A thread's start_s delay is slept inside the barrier, so
 * fio's runtime counts from the thread's own start.
 */
import { SECTOR_BYTES } from '../../engine/io/request';
import {
  type GuestPlan,
  MARK_CAL_END,
  MARK_CAL_START,
  MARK_CALQ_END,
  MARK_CALQ_START,
  MARK_END,
  MARK_GO,
  NBD_CLIENT_MAX_INFLIGHT,
  PREFIX_SECTORS,
} from './guest-plan';

const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * Depth of the queued calibration stream: one more than the device takes, or null when that exceeds
 * what Qemu's NBD client keeps in flight (the gap is then not measured).
 */
export function queuedCalibrationDepth(queueDepth: number): number | null {
  return queueDepth + 1 <= NBD_CLIENT_MAX_INFLIGHT ? queueDepth + 1 : null;
}

/** Seconds of the calibration stream. */
export const CALIBRATION_S = 1.5;

export interface GuestFiles {
  [path: string]: string;
}

function fioFile(plan: GuestPlan, jobs: GuestPlan['jobs']): string {
  const lines = [
    '[global]',
    'group_reporting=0',
    'log_offset=1',
    'log_alternate_epoch=1',
    'log_alternate_epoch_clock_id=1',
    'invalidate=0',
  ];
  for (const j of jobs) {
    const startS = plan.layout.threads[j.threads[0]].startNs / 1e9;
    lines.push(
      '',
      `[${j.name}]`,
      ...j.options,
      `write_lat_log=/out/${j.name}`,
      `exec_prerun=/bin/sh /etc/pvblk/barrier ${j.name} ${startS.toFixed(3)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** ftrace's blk tracer on /dev/vda during the run: block events and the I/O scheduler's own
 * messages (bfq_log_bfqq: think time, idling, expirations) to /out/blktrace.txt. */
const TRACE = '/sys/kernel/tracing';

export function guestFiles(plan: GuestPlan, modules: string[], opts: { trace?: boolean } = {}): GuestFiles {
  const files: GuestFiles = {};
  const groups = new Map<string, GuestPlan['jobs']>();
  for (const j of plan.jobs) {
    const k = j.cgroup ?? '';
    groups.set(k, [...(groups.get(k) ?? []), j]);
  }
  const procs: { cgroup: string | null; file: string; out: string }[] = [];
  [...groups.entries()].forEach(([cg, jobs], i) => {
    const file = `etc/pvblk/run${i}.fio`;
    files[file] = fioFile(plan, jobs);
    procs.push({ cgroup: cg || null, file: `/${file}`, out: `/out/fio${i}.json` });
  });
  files['etc/pvblk/barrier'] = [
    '# fio exec_prerun: report ready, wait for the start, then the thread’s own start delay',
    'touch /tmp/ready/$1',
    'while [ ! -e /tmp/go ]; do usleep 5000; done',
    'case $2 in 0|0.000) ;; *) sleep $2 ;; esac',
    '',
  ].join('\n');

  const mark = (sector: number) =>
    `dd if=/dev/vda of=/dev/null bs=${SECTOR_BYTES} skip=${sector} count=1 iflag=direct 2>/dev/null`;
  const cal = plan.calibration;
  const diskBytes = (PREFIX_SECTORS * 2 + plan.diskSectors) * SECTOR_BYTES;
  const L: string[] = [
    '#!/bin/sh',
    'export PATH=/bin:/usr/bin',
    '/bin/busybox --install -s /bin',
    'mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev; mount -t tmpfs tmp /tmp',
    'mkdir -p /tmp/ready /out',
    'stage() { echo "PVBLK-STAGE $*"; }',
    'fail() { echo "PVBLK-FAIL $*"; sync; poweroff -f; sleep 10; }',
    'stage init',
  ];
  for (const m of modules) {
    const p = m === 'virtio_blk' ? ` queue_depth=${plan.queueDepth}` : '';
    L.push(`insmod /lib/modules/${m}.ko${p} || fail "insmod ${m}"`);
  }
  L.push(
    'i=0; while { [ ! -e /sys/block/vda ] || [ ! -e /sys/block/vdb ]; } && [ $i -lt 300 ]; do usleep 100000; i=$((i+1)); done',
    '[ -e /sys/block/vda ] || fail "no /dev/vda (virtio_blk did not find the NBD disk)"',
    '[ -e /sys/block/vdb ] || fail "no /dev/vdb (results disk)"',
    `[ "$(($(cat /sys/block/vda/size) * 512))" = "${diskBytes}" ] || fail "/dev/vda is $(cat /sys/block/vda/size) sectors, expected ${diskBytes / SECTOR_BYTES}"`,
    'Q=/sys/block/vda/queue',
    'stage scheduler',
    // virtio-blk has no rotational feature: the guest marks every disk rotational unless told
    `echo ${plan.rotational ? 1 : 0} > $Q/rotational || fail "cannot write queue/rotational"`,
    `echo ${plan.scheduler} > $Q/scheduler || fail "cannot select ${plan.scheduler}: $(cat $Q/scheduler)"`,
  );
  // after the scheduler switch, which resets the pool to 2 × the driver's depth
  if (plan.nrRequests !== null)
    L.push(
      `echo ${plan.nrRequests} > $Q/nr_requests || fail "cannot write ${plan.nrRequests} to queue/nr_requests"`,
    );
  for (const [f, v] of Object.entries(plan.tunables))
    L.push(`echo ${v} > $Q/iosched/${f} || fail "cannot write ${v} to iosched/${f}"`);
  L.push(
    '{',
    '  echo "kernel $(uname -r)"',
    '  echo "scheduler $(cat $Q/scheduler)"',
    '  for f in $Q/iosched/*; do [ -e "$f" ] && echo "iosched $(basename $f) $(cat $f)"; done',
    '  for f in nr_requests rotational max_sectors_kb read_ahead_kb; do echo "queue $f $(cat $Q/$f)"; done',
    '  echo "virtio_blk.queue_depth $(cat /sys/module/virtio_blk/parameters/queue_depth)"',
    '  echo "nproc $(nproc)"',
    '} > /out/sysfs.txt',
  );
  if (plan.cgroups.length > 0) {
    L.push(
      'stage cgroups',
      'mount -t cgroup2 none /sys/fs/cgroup || fail "cannot mount cgroup2"',
      'echo +io > /sys/fs/cgroup/cgroup.subtree_control || fail "no io controller in cgroup2"',
    );
    for (const c of plan.cgroups) {
      const d = `/sys/fs/cgroup/${c.name}`;
      const val = String(c.weight);
      L.push(
        `mkdir ${d} || fail "mkdir ${d}"`,
        `echo ${q(val)} > ${d}/${c.weightFile} || fail "cannot write ${c.weightFile} of ${c.name}"`,
        `echo "cgroup ${c.name} ${c.weightFile} $(cat ${d}/${c.weightFile} | tr '\\n' ' ')" >> /out/sysfs.txt`,
      );
    }
  }
  const parts = plan.partitions.length;
  if (parts > 0)
    L.push(
      `[ -e /sys/block/vda/vda${parts} ] || fail "partition table not read: no vda${parts}"`,
      `echo "partitions ${parts}" >> /out/sysfs.txt`,
    );
  L.push(
    'cat /out/sysfs.txt',
    'stage calibration',
    mark(MARK_CAL_START),
    `fio --name=cal --filename=/dev/vda --offset=${(PREFIX_SECTORS + cal.start) * SECTOR_BYTES} --size=${cal.sectors * SECTOR_BYTES} ` +
      `--rw=read --bs=${cal.blockBytes} --direct=1 --ioengine=psync --time_based --runtime=${CALIBRATION_S}s ` +
      '--output-format=json --output=/out/cal.json >/dev/null 2>/out/cal.err || fail "calibration fio: $(cat /out/cal.err)"',
    mark(MARK_CAL_END),
  );
  // The dispatch gap: random reads (no merges, no read-ahead hits) one deeper than the device, so
  // at every completion a request already waits in the scheduler and the server sees only the
  // path completion → guest → dispatch → server, without fio (see calibrateQueued).
  const calQDepth = queuedCalibrationDepth(plan.queueDepth);
  if (calQDepth !== null)
    L.push(
      'stage calibration-queued',
      mark(MARK_CALQ_START),
      `fio --name=calq --filename=/dev/vda --offset=${(PREFIX_SECTORS + cal.start) * SECTOR_BYTES} --size=${cal.sectors * SECTOR_BYTES} ` +
        `--rw=randread --bs=${cal.blockBytes} --direct=1 --ioengine=libaio --iodepth=${calQDepth} --iodepth_batch_submit=1 ` +
        `--randseed=1 --time_based --runtime=${CALIBRATION_S}s ` +
        '--output-format=json --output=/out/calq.json >/dev/null 2>/out/calq.err || fail "queued calibration fio: $(cat /out/calq.err)"',
      mark(MARK_CALQ_END),
    );
  L.push('cat /sys/block/vda/stat > /out/stat0', 'stage start');
  if (opts.trace)
    L.push(
      `mount -t tracefs nodev ${TRACE} || fail "cannot mount tracefs"`,
      `echo 65536 > ${TRACE}/buffer_size_kb`,
      `echo blk > ${TRACE}/current_tracer || fail "no blk tracer (CONFIG_BLK_DEV_IO_TRACE)"`,
      'echo 1 > /sys/block/vda/trace/enable || fail "cannot enable the block trace of vda"',
    );
  procs.forEach((p, i) => {
    const join = p.cgroup ? `echo $$ > /sys/fs/cgroup/${p.cgroup}/cgroup.procs && ` : '';
    L.push(
      `sh -c ${q(`${join}exec fio --output-format=json --output=${p.out} ${p.file}`)} > /out/fio${i}.log 2>&1 &`,
      `P${i}=$!`,
    );
  });
  const n = plan.jobs.length;
  L.push(
    `i=0; while [ "$(ls /tmp/ready | wc -l)" -lt ${n} ] && [ $i -lt 12000 ]; do usleep 10000; i=$((i+1)); done`,
    `[ "$(ls /tmp/ready | wc -l)" -ge ${n} ] || fail "fio jobs not ready: $(ls /tmp/ready) $(cat /out/fio*.log)"`,
    mark(MARK_GO),
    'read up0 rest < /proc/uptime',
    'touch /tmp/go',
    'read up1 rest < /proc/uptime',
    'echo "$up0 $up1" > /out/go_uptime',
    'stage running',
  );
  procs.forEach((_, i) => {
    L.push(`wait $P${i} || fail "fio ${i} failed: $(tail -5 /out/fio${i}.log)"`);
  });
  L.push(
    mark(MARK_END),
    'cat /sys/block/vda/stat > /out/stat1',
    ...(opts.trace
      ? [
          'echo 0 > /sys/block/vda/trace/enable',
          `cat ${TRACE}/per_cpu/cpu*/stats > /out/blktrace.stats`,
          `cat ${TRACE}/trace > /out/blktrace.txt`,
        ]
      : []),
    'stage collect',
    'tar -cf /dev/vdb -C /out . || fail "cannot write the results disk"',
    'sync',
    'echo PVBLK-DONE',
    'poweroff -f',
    'sleep 30',
  );
  files.init = `${L.join('\n')}\n`;
  return files;
}
