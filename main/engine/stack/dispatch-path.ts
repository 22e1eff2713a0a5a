/**
 * The path from the host's dispatch to the disk: the driver, the HBA or a virtio transport. Each
 * request reaches the disk `latencyNs` after its dispatch and holds its device slot (its tag)
 * meanwhile, as a dispatched request does in Linux. On a queue-depth-1 disk the disk therefore
 * idles that long between a completion and the next request even when one is queued; a drive with
 * read-ahead keeps reading meanwhile. A FIFO: equal delays keep the dispatch order.
 */
import type { Simulator } from '../core/sim';
import type { Disk } from '../disk/types';
import type { BlockRequest } from '../io/request';
import type { SlotDevice } from './request-queue';

export class DispatchPath implements SlotDevice {
  readonly queueDepth: number;
  private transit = 0;
  private readonly inTransit: BlockRequest[] = [];

  constructor(
    private readonly sim: Simulator,
    private readonly disk: Disk,
    private readonly latencyNs: number,
  ) {
    this.queueDepth = disk.queueDepth;
  }

  inFlight(): number {
    return this.transit + this.disk.inFlight();
  }

  submit(rq: BlockRequest): void {
    this.transit++;
    this.inTransit.push(rq);
    this.sim.post(this.latencyNs, this.arrive);
  }

  private readonly arrive = (): void => {
    this.transit--;
    this.disk.submit(this.inTransit.shift()!);
  };
}
