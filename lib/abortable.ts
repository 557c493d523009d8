// Stops waiting for work that cannot itself be cancelled: the promise rejects as soon as `signal`
// aborts (at once when it already has, without starting `fn`), while `fn` runs on and its result
// is dropped. The error is made only when it rejects, a fresh one each time: callers run this per
// batch on a hot path. The bridge's writer (bridge/writer.ts) abandons an append on close with it.
export function abortable<T>(signal: AbortSignal, error: () => Error, fn: () => Promise<T>): Promise<T> {
  if (signal.aborted) return Promise.reject(error());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(error());
    signal.addEventListener('abort', onAbort, { once: true });
    fn()
      .then(resolve, reject)
      .finally(() => signal.removeEventListener('abort', onAbort));
  });
}
