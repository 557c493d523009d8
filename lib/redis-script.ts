// A Lua script as a command of an ioredis client (its defineCommand): the first call on each
// connection sends the script (EVAL), later calls only its SHA1 (EVALSHA), so a script run per
// delivered entry does not send its whole text every time (the cursor's advance was 8 % of the
// gateway's CPU in socket writes of script text under the paper workload). After a Redis restart
// the new connection sends the text again; after a SCRIPT FLUSH the call that meets NOSCRIPT is
// sent once more, and ioredis sends the text with it.
import type { Redis } from 'ioredis';

type Arg = string | number;
type Run = (...keysThenArgs: Arg[]) => Promise<unknown>;

/**
 * `lua` as a function of `keys` then `args` on `redis`; `name` must be unique per client. Without
 * `numberOfKeys` the first argument says how many keys follow (a script over a batch of keys).
 */
export function luaScript(redis: Redis, name: string, lua: string, numberOfKeys?: number): Run {
  const commands = redis as unknown as Record<string, Run | undefined>;
  if (commands[name] === undefined) redis.defineCommand(name, { lua, numberOfKeys });
  const run = commands[name]!;
  return async (...keysThenArgs) => {
    try {
      return await run.apply(redis, keysThenArgs);
    } catch (err) {
      if (!(err as Error).message?.startsWith('NOSCRIPT')) throw err;
      return run.apply(redis, keysThenArgs);
    }
  };
}
