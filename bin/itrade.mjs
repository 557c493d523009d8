#!/usr/bin/env node
// The installed `itrade` command: registers the tsx loader, then runs cli/main.ts.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
// The command is done: a client library's stray timer or socket must not keep the process (and
// the exit code) waiting. The timer is unref'd, so a clean exit does not wait for it.
setTimeout(() => process.exit(), 2000).unref();
