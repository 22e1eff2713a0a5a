/**
 * External pages the desktop app may open in the system browser. The lab's own documentation ships
 * with it (docs/); what it links outside are the sources its scheduler and disk pages cite. Any
 * other URL a window tries to open (a link in an imported spec's description, a crafted page) is
 * denied: opening arbitrary URLs with the OS handler is how a renderer bug becomes code execution.
 */
export const EXTERNAL_ALLOWLIST: readonly string[] = [
  // Kernel block-layer documentation (the I/O schedulers' tunables; docs/schedulers/*.md)
  'https://docs.kernel.org/block/',
  'https://www.kernel.org/doc/html/latest/block/',
  // DiskSim, whose validated drive models the disk presets use (main/common/disk/data)
  'https://www.pdl.cmu.edu/DiskSim/',
];

/** Is `url` an https page under one of the allowed prefixes (no credentials, no other port)? */
export function allowedExternal(url: string): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username || u.password || u.port) return false;
  const href = `${u.origin}${u.pathname}`;
  return EXTERNAL_ALLOWLIST.some((p) => href.startsWith(p));
}
