/**
 * The guest's kernel: Debian 12's `linux-image-6.1.0-*-amd64` (the version the `linux-image-amd64`
 * metapackage points to), fetched with `apt-get download` into a cache folder and unpacked with
 * `dpkg -x` there; nothing is installed into the host's /boot. Or the user's own bzImage and
 * modules folder (`--kernel`).
 *
 * Modules are loaded by busybox `insmod`, which does not resolve dependencies: the load order
 * comes from each module's own `depends=` entry in its .modinfo section.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { KernelRefusal } from './errors';

export interface GuestKernel {
  /** bzImage. */
  image: string;
  /** lib/modules/VERSION folder, or null (every needed driver built in). */
  modulesDir: string | null;
  /** Kernel release (e.g. 6.1.0-57-amd64) and where it came from. */
  release: string;
  source: string;
}

export const KERNEL_APT_HINT =
  'the kernel backend needs qemu-system-x86, busybox-static and fio (apt-get install qemu-system-x86 busybox-static fio) ' +
  'and a Debian kernel package (linux-image-6.1.0-*-amd64, fetched with apt-get download), or --kernel PATH';

export function cacheDir(): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'pvblk', 'kernel');
}

function run(cmd: string, args: string[], cwd?: string): string {
  return execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** The package `linux-image-amd64` depends on (e.g. linux-image-6.1.0-57-amd64), or null. */
function currentPackage(): string | null {
  try {
    const out = run('apt-cache', ['depends', 'linux-image-amd64']);
    const m = /Depends:\s+(linux-image-[0-9][^\s]*-amd64)\b/.exec(out);
    return m ? m[1] : null;
  } catch {
    return null;
  }
}

/** An unpacked kernel tree (dpkg -x output, or a user's folder with boot/ and lib/modules/). */
export function kernelInTree(tree: string, source: string): GuestKernel | null {
  const boot = join(tree, 'boot');
  if (!existsSync(boot)) return null;
  const img = readdirSync(boot).find((f) => f.startsWith('vmlinuz-'));
  if (!img) return null;
  const release = img.slice('vmlinuz-'.length);
  const mods = join(tree, 'lib', 'modules', release);
  return { image: join(boot, img), modulesDir: existsSync(mods) ? mods : null, release, source };
}

/** The unpacked kernel packages in the cache (`tree-<package>` folders), oldest name first. */
export function cachedTrees(dir = cacheDir()): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.startsWith('tree-') && statSync(join(dir, f)).isDirectory())
    .sort();
}

/** Fetch (once) and unpack the current Debian kernel package into the cache; or the cached one. */
export function debianKernel(dir = cacheDir(), log: (m: string) => void = () => {}): GuestKernel {
  mkdirSync(dir, { recursive: true });
  const pkg = currentPackage();
  const trees = cachedTrees(dir);
  const wanted = pkg ? `tree-${pkg}` : null;
  if (wanted && trees.includes(wanted)) {
    const k = kernelInTree(join(dir, wanted), `Debian package ${pkg} (cached in ${dir})`);
    if (k) return k;
  }
  if (!pkg) {
    // offline or not Debian: the newest cached tree, if any
    for (const t of trees.reverse()) {
      const k = kernelInTree(join(dir, t), `${t.slice(5)} (cached in ${dir})`);
      if (k) return k;
    }
    throw new KernelRefusal(
      `no Debian kernel package found (apt-cache depends linux-image-amd64 failed); ${KERNEL_APT_HINT}`,
    );
  }
  log(`fetching ${pkg} with apt-get download into ${dir}`);
  for (const f of readdirSync(dir)) if (f.startsWith(`${pkg}_`) && f.endsWith('.deb')) rmSync(join(dir, f));
  try {
    run('apt-get', ['download', pkg], dir);
  } catch (e) {
    throw new KernelRefusal(
      `apt-get download ${pkg} failed: ${String((e as { stderr?: string }).stderr ?? (e as Error).message)
        .trim()
        .split('\n')
        .pop()}; ${KERNEL_APT_HINT}`,
    );
  }
  const deb = readdirSync(dir).find((f) => f.startsWith(`${pkg}_`) && f.endsWith('.deb'));
  if (!deb) throw new KernelRefusal(`apt-get download ${pkg} left no .deb in ${dir}`);
  const tmp = join(dir, `unpack-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  try {
    run('dpkg', ['-x', join(dir, deb), tmp]);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw new KernelRefusal(`dpkg -x ${deb} failed: ${(e as Error).message}`);
  }
  rmSync(join(dir, wanted!), { recursive: true, force: true });
  renameSync(tmp, join(dir, wanted!));
  rmSync(join(dir, deb));
  const k = kernelInTree(join(dir, wanted!), `Debian package ${pkg} (cached in ${dir})`);
  if (!k) throw new KernelRefusal(`${deb} holds no boot/vmlinuz-*`);
  return k;
}

/**
 * `--kernel PATH`: a folder with boot/vmlinuz-* and lib/modules/RELEASE (an unpacked package), or a
 * bzImage file, with `modules` (a lib/modules/RELEASE folder) or none (drivers built in).
 */
export function userKernel(path: string, modules?: string): GuestKernel {
  if (!existsSync(path)) throw new KernelRefusal(`--kernel: ${path} does not exist`);
  if (statSync(path).isDirectory()) {
    const k = kernelInTree(path, `--kernel ${path}`);
    if (!k)
      throw new KernelRefusal(
        `--kernel: ${path} has no boot/vmlinuz-* (give a bzImage file or an unpacked kernel tree)`,
      );
    return k;
  }
  if (modules !== undefined && !existsSync(modules))
    throw new KernelRefusal(`--modules: ${modules} does not exist`);
  return {
    image: path,
    modulesDir: modules ?? null,
    release: modules ? basename(modules) : 'unknown (own bzImage)',
    source: `--kernel ${path}`,
  };
}

/** Index of the modules folder: module name (dashes as underscores) → .ko path. */
function moduleIndex(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith('.ko')) out.set(e.name.slice(0, -3).replace(/-/g, '_'), p);
    }
  };
  walk(dir);
  return out;
}

/** `depends=` of a module, from its .modinfo strings. */
export function moduleDepends(ko: Buffer): string[] {
  const key = Buffer.from('\0depends=');
  const i = ko.indexOf(key);
  if (i < 0) return [];
  const end = ko.indexOf(0, i + key.length);
  const v = ko.subarray(i + key.length, end).toString('utf8');
  return v ? v.split(',').map((s) => s.replace(/-/g, '_')) : [];
}

/** Names built into the kernel (modules.builtin), so not to be loaded. */
function builtins(dir: string): Set<string> {
  const f = join(dir, 'modules.builtin');
  if (!existsSync(f)) return new Set();
  return new Set(
    readFileSync(f, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => basename(l, '.ko').replace(/-/g, '_')),
  );
}

/**
 * The .ko files to load, dependencies first, for the wanted modules. Wanted modules that are
 * neither files nor built in are reported in `missing` (the caller decides; a user's kernel may
 * have them built in without a modules.builtin list).
 */
export function moduleLoadOrder(
  modulesDir: string | null,
  wanted: string[],
): { files: { name: string; path: string }[]; missing: string[] } {
  if (!modulesDir) return { files: [], missing: [] };
  const idx = moduleIndex(modulesDir);
  const built = builtins(modulesDir);
  const files: { name: string; path: string }[] = [];
  const missing: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string) => {
    const n = name.replace(/-/g, '_');
    if (seen.has(n)) return;
    seen.add(n);
    const p = idx.get(n);
    if (!p) {
      if (!built.has(n)) missing.push(n);
      return;
    }
    for (const d of moduleDepends(readFileSync(p))) visit(d);
    files.push({ name: n, path: p });
  };
  for (const w of wanted) visit(w);
  return { files, missing };
}
