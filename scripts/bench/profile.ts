import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(__dirname, '..', '..');

/**
 * `--profile`: V8 CPU profiles of the worker, API and simulator during the pipeline round (the preload in
 * profile-preload.cjs), summarised as the share of samples per source file or package, where the time goes.
 */
export const PROFILE_PRELOAD = path.join(__dirname, 'profile-preload.cjs');
export const PROFILED_PARTS = ['worker', 'api', 'simulator'] as const;

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

export function startProfiles(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'start'), '');
}

/** Asks the processes to write their profiles and waits for them (a part that does not answer is left out). */
export async function stopProfiles(dir: string, parts: readonly string[], waitMs = 15_000): Promise<Map<string, string>> {
  writeFileSync(path.join(dir, 'stop'), '');
  const deadline = Date.now() + waitMs;
  for (;;) {
    const files = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile'));
    const found = new Map(parts.flatMap((part) => {
      // The tsx wrapper of a part profiles too (idle); the part's own process is the one with the most samples.
      const mine = files.filter((f) => f.startsWith(`${part}-`)).map((f) => ({ file: path.join(dir, f), size: statSync(path.join(dir, f)).size }));
      const largest = mine.sort((a, b) => b.size - a.size)[0]?.file;
      return largest ? [[part, largest] as const] : [];
    }));
    if (found.size === parts.length || Date.now() > deadline) return found;
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Where a call frame's code lives: the package under node_modules, the project file, or a V8/Node category. */
export function codeOwner(url: string, functionName: string): string {
  if (!url) return `(${functionName || 'native'})`;
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (!url.startsWith('file://')) return url;
  const relative = path.relative(ROOT, fileURLToPath(url));
  return relative.startsWith('..') ? fileURLToPath(url) : relative;
}

/** The `top` owners of CPU samples in a profile, with their share. */
export function summariseProfile(profile: CpuProfile, top = 12): { owner: string; share: number }[] {
  const byNode = new Map(profile.nodes.map((n) => [n.id, n]));
  const time = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const node = byNode.get(id);
    const delta = profile.timeDeltas[i] ?? 0;
    if (!node) return;
    const owner = codeOwner(node.callFrame.url, node.callFrame.functionName);
    time.set(owner, (time.get(owner) ?? 0) + delta);
    total += delta;
  });
  return [...time.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([owner, t]) => ({ owner, share: total > 0 ? t / total : 0 }));
}

export function readProfile(file: string): CpuProfile | undefined {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as CpuProfile) : undefined;
}
