// The active context, synchronous only: `with` makes a context current while its function runs
// and puts the previous one back when it returns, and that is all. No async_hooks, no
// AsyncLocalStorage: on Node 20 AsyncLocalStorage rests on a promise hook that runs for every
// promise of the process (kafkajs, ioredis, Aedes), traced or not, and that cost 11.7 % more CPU
// per message at 1 % sampling (issue 17, docs/benchmark.md). A flow that goes on after an await
// carries its context itself (the hooks take a `parent`) and enters it again where it writes a
// log line or starts a child span (`inContext`, tracing.ts).
import { ROOT_CONTEXT, type Context, type ContextManager } from '@opentelemetry/api';

export class ScopeContextManager implements ContextManager {
  private current: Context = ROOT_CONTEXT;

  active(): Context {
    return this.current;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    ctx: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const previous = this.current;
    this.current = ctx;
    try {
      return fn.call(thisArg, ...args);
    } finally {
      this.current = previous;
    }
  }

  bind<T>(ctx: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const fn = target as unknown as (...a: unknown[]) => unknown;
    const inCtx = (f: () => unknown) => this.with(ctx, f);
    return function (this: unknown, ...a: unknown[]) {
      return inCtx(() => fn.apply(this, a));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.current = ROOT_CONTEXT;
    return this;
  }
}
