// The order `npm test` runs its files in (scripts/test.ts). The suite's length is the sum of its
// files over the workers plus the tail: a 2-minute file started last keeps one worker busy alone
// at the end. So the files known to be long start first: each file's last duration is kept in
// .cache/test-times.json (outside git, like the other caches), and the first runtime of a run
// orders the next one. Files never timed go first, then the rest longest first. A file waits for
// what it needs (the test stack, the deployment tools) without holding a worker that could run a
// file that needs nothing while it comes up.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export interface Job<T> {
  /** Its key in the times file: the file's path from the project root. */
  key: string;
  /** What must be there before it runs: resolves when ready. */
  needs?: Promise<unknown>;
  run(): Promise<T>;
}

export class TestTimes {
  private readonly times: Record<string, number>;

  constructor(private readonly file: string) {
    this.times = readTimes(file);
  }

  note(key: string, ms: number): void {
    this.times[key] = ms;
  }

  /** Never timed first (in the given order), then the longest first. */
  order<T>(jobs: readonly Job<T>[]): Job<T>[] {
    const t = (j: Job<T>) => this.times[j.key] ?? Infinity;
    return jobs
      .map((j, i) => ({ j, i }))
      .sort((a, b) => t(b.j) - t(a.j) || a.i - b.i)
      .map((x) => x.j);
  }

  save(): void {
    mkdirSync(dirname(this.file), { recursive: true });
    writeFileSync(this.file, JSON.stringify(this.times, null, 1) + '\n');
  }
}

function readTimes(file: string): Record<string, number> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, number>) : {};
  } catch {
    return {}; // none yet, or unreadable: every file counts as never timed
  }
}

/**
 * Runs `jobs` on `workers` at once, in order, except that a job whose `needs` has not resolved
 * yet is passed over for the next one that can run; a worker waits only when none can.
 */
export async function runPool<T>(jobs: readonly Job<T>[], workers: number, done: (r: T) => void): Promise<void> {
  const ready = new Set<Job<T>>(jobs.filter((j) => !j.needs));
  const left = [...jobs];
  const waiting: (() => void)[] = [];
  const changed = () => waiting.splice(0).forEach((w) => w());
  for (const j of jobs)
    void j.needs?.then(
      () => (ready.add(j), changed()),
      () => (ready.add(j), changed()), // the job reports its own failure
    );
  const next = async (): Promise<Job<T> | undefined> => {
    for (;;) {
      if (left.length === 0) return undefined;
      const i = left.findIndex((j) => ready.has(j));
      if (i >= 0) return left.splice(i, 1)[0];
      await new Promise<void>((r) => waiting.push(r));
    }
  };
  const worker = async () => {
    for (let j = await next(); j; j = await next()) done(await j.run());
  };
  await Promise.all(Array.from({ length: Math.min(workers, jobs.length) }, worker));
}
