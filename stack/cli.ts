// `stack up|down|status` for people: one line per service, the log tail of a service that
// failed, and an exit code (0 all healthy, 1 otherwise). Shared by scripts/stack.ts and the
// `itrade stack` command.
import { existsSync } from 'node:fs';
import type { ItradeConfig } from '../config/schema.ts';
import type { Logger } from '../lib/log.ts';
import { LocalStack, tail, type ServiceStatus } from './stack.ts';

export type StackCommand = 'up' | 'down' | 'status';

export function formatStatus(st: ServiceStatus): string {
  const mark = st.healthy ? 'ok  ' : 'FAIL';
  const pid = st.pid ? ` (pid ${st.pid})` : '';
  return `${st.name.padEnd(6)} ${mark} ${st.mode.padEnd(8)} ${(st.endpoint || '-').padEnd(26)} ${st.detail}${pid}`;
}

export async function runStackCommand(
  cmd: StackCommand,
  cfg: ItradeConfig,
  log: Logger,
  out: (line: string) => void = console.log,
): Promise<number> {
  const stack = new LocalStack(cfg, log);
  if (cmd === 'down') {
    const stopped = await stack.down();
    out(stopped.length ? `stopped: ${stopped.join(', ')}` : 'nothing of ours was running');
    return 0;
  }
  const statuses = cmd === 'up' ? await stack.up() : await stack.status();
  for (const st of statuses) out(formatStatus(st));
  const failed = statuses.filter((s) => !s.healthy);
  if (cmd === 'up') {
    for (const st of failed) {
      if (st.logFile && existsSync(st.logFile))
        out(`--- last lines of ${st.logFile} ---\n${tail(st.logFile, 30)}\n---`);
    }
  }
  return failed.length === 0 ? 0 : 1;
}
