/**
 * A run the kernel backend cannot do, with the reason for the user (no QEMU, no kernel, a spec
 * the guest cannot express, a port in use, a guest that failed to boot or hung). The CLI prints
 * the message without a stack trace.
 */
export class KernelRefusal extends Error {
  constructor(
    message: string,
    /** 2: the spec or an argument; 1: the environment or the guest. */
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
    this.name = 'KernelRefusal';
  }
}
