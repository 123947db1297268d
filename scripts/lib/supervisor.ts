import type { ChildProcess } from 'node:child_process';
import { stopProcess } from './temporal-dev-server';
import type { PidFile } from './children';

/**
 * Keeps `npm start`'s children running: a child that dies (worker, API, simulator, the Temporal dev server) is started
 * again after a pause that doubles with each quick death (1 s up to 30 s; a child that ran a minute starts over at
 * 1 s), and every death and restart is logged. The others stay up meanwhile. Stopping stops them in reverse order.
 */
export interface SupervisedSpec {
  name: string;
  /** Part of the child's command line, so a later start can tell a leftover of ours from a reused pid. */
  marker: string;
  /** Starts the child; resolves once it is started (and, where it matters, ready). */
  start: () => Promise<ChildProcess>;
  /** Grace for a clean stop before SIGKILL. */
  stopGraceMs?: number;
  /** Told when the child died unexpectedly (before it is started again), e.g. to clear what it left behind. */
  onDeath?: (pid: number | undefined) => Promise<void>;
}

interface Supervised {
  spec: SupervisedSpec;
  process: ChildProcess;
  startedAt: number;
  /** Quick deaths in a row (the backoff grows with them). */
  quickDeaths: number;
  restarts: number;
  timer?: NodeJS.Timeout;
  /** A restart under way: stopping waits for it and stops what it started (the dev server outlives its parent). */
  starting?: Promise<ChildProcess>;
}

const FIRST_PAUSE_MS = 1000;
const MAX_PAUSE_MS = 30_000;
const STABLE_AFTER_MS = 60_000;

export class Supervisor {
  private readonly children: Supervised[] = [];
  private stopping = false;

  constructor(
    private readonly log: (msg: string) => void,
    private readonly pidFile: PidFile,
  ) {}

  /** Starts a child and keeps it running from then on. Throws when the first start fails. */
  async add(spec: SupervisedSpec): Promise<ChildProcess> {
    const child: Supervised = { spec, process: await spec.start(), startedAt: Date.now(), quickDeaths: 0, restarts: 0 };
    this.children.push(child);
    this.recordPids();
    this.watch(child);
    return child.process;
  }

  /** The running process of a child, by name. */
  processOf(name: string): ChildProcess | undefined {
    return this.children.find((c) => c.spec.name === name)?.process;
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  /** Stops every child, the last added first (the API before the worker, Temporal last). */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const child of [...this.children].reverse()) {
      clearTimeout(child.timer);
      const late = child.starting ? await child.starting.catch(() => undefined) : undefined;
      if (late) await stopProcess(late, child.spec.stopGraceMs ?? 15_000);
      await stopProcess(child.process, child.spec.stopGraceMs ?? 15_000);
    }
    this.pidFile.clear();
  }

  private recordPids(): void {
    this.pidFile.write(this.children.map((c) => ({ name: c.spec.name, pid: c.process.pid, marker: c.spec.marker })));
  }

  private watch(child: Supervised): void {
    child.process.once('exit', (code, signal) => {
      if (this.stopping) return;
      const ran = Date.now() - child.startedAt;
      child.quickDeaths = ran >= STABLE_AFTER_MS ? 1 : child.quickDeaths + 1;
      const pause = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (child.quickDeaths - 1));
      this.log(`${child.spec.name} (pid ${child.process.pid}) exited unexpectedly (code ${code}, signal ${signal}) after ${Math.round(ran / 1000)} s; starting it again in ${pause / 1000} s`);
      void child.spec.onDeath?.(child.process.pid).catch(() => undefined);
      this.schedule(child, pause);
    });
  }

  private schedule(child: Supervised, pause: number): void {
    child.timer = setTimeout(() => {
      if (this.stopping) return;
      child.starting = child.spec.start();
      child.starting.then(
        (process) => {
          child.starting = undefined;
          // Stopping began meanwhile: stop() waited for this start and stops this process.
          if (this.stopping) return;
          child.process = process;
          child.startedAt = Date.now();
          child.restarts++;
          this.recordPids();
          this.log(`${child.spec.name} started again (pid ${process.pid}, restart ${child.restarts})`);
          this.watch(child);
        },
        (err: unknown) => {
          child.starting = undefined;
          if (this.stopping) return;
          child.quickDeaths++;
          const next = Math.min(MAX_PAUSE_MS, FIRST_PAUSE_MS * 2 ** (child.quickDeaths - 1));
          this.log(`${child.spec.name} could not be started again (${err instanceof Error ? err.message : String(err)}); trying again in ${next / 1000} s`);
          this.schedule(child, next);
        },
      );
    }, pause);
  }
}
