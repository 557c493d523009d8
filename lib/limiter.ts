// At most `n` tasks at once; the others wait in arrival order. The simulator uses it to keep the
// node and the gateway busy without opening hundreds of requests at the same moment; the chain
// cache (chain/cache.ts) to queue look-ups instead of overloading the node.
export interface Limit {
  <T>(task: () => Promise<T>): Promise<T>;
  /** tasks waiting for their turn */
  readonly queued: number;
}

export interface WaitBound {
  /** A task that waited this long for its turn is not run: it rejects with `error()`. */
  maxWaitMs: number;
  error(waiting: number): Error;
}

interface Waiter {
  go(): void;
}

export function limiter(n: number, bound?: WaitBound): Limit {
  let running = 0;
  // A Set iterates in insertion order: the longest waiting goes first.
  const waiting = new Set<Waiter>();
  // A finished task hands its slot straight to the next waiter, so nobody can slip in between.
  const release = () => {
    const next = waiting.values().next();
    if (next.done) return void running--;
    waiting.delete(next.value);
    next.value.go();
  };
  const turn = () =>
    new Promise<void>((resolve, reject) => {
      const w: Waiter = {
        go: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = bound
        ? setTimeout(() => {
            waiting.delete(w);
            reject(bound.error(waiting.size));
          }, bound.maxWaitMs)
        : undefined;
      waiting.add(w);
    });
  const limit = async <T>(task: () => Promise<T>): Promise<T> => {
    if (running < n) running++;
    else await turn();
    try {
      return await task();
    } finally {
      release();
    }
  };
  return Object.defineProperty(limit, 'queued', { get: () => waiting.size }) as Limit;
}
