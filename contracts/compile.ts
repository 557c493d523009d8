// Offline Solidity compilation with solc-js (the npm `solc` package, a WebAssembly build of the
// compiler: no download, no native binary). One place fixes the compiler settings, so the
// committed artifacts, the gas benchmark and the test fixtures are all built the same way.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, relative } from 'node:path';
import solc from 'solc';
import type { JsonFragment } from 'ethers';
import { itradeError } from '../protocol/errors.ts';
import { fromRoot } from '../lib/paths.ts';

/** Pinned so the bytecode never changes under us: cancun is anvil's and mainnet's baseline with EIP-1153. */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 200 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

export interface CompiledContract {
  name: string;
  /** Source unit name: the path relative to the project root, e.g. `contracts/src/Sensor.sol`. */
  source: string;
  abi: JsonFragment[];
  bytecode: string;
  deployedBytecode: string;
}

export interface CompileResult {
  solcVersion: string;
  contracts: Map<string, CompiledContract>;
  warnings: string[];
}

/** The marketplace sources, sorted: `contracts/src/*.sol`. */
export function marketplaceSources(): string[] {
  return readdirSync(fromRoot('contracts', 'src'))
    .filter((f) => f.endsWith('.sol'))
    .sort()
    .map((f) => `contracts/src/${f}`);
}

// Imports resolve inside the project only; solc has already normalised `../` in the path.
function findImport(path: string): { contents: string } | { error: string } {
  const file = fromRoot(path);
  const rel = relative(fromRoot(), file);
  if (isAbsolute(path) || rel.startsWith('..') || !existsSync(file))
    return { error: `import not found in the project: ${path}` };
  return { contents: readFileSync(file, 'utf8') };
}

interface SolcOutput {
  errors?: { severity: 'error' | 'warning' | 'info'; formattedMessage: string }[];
  contracts?: Record<
    string,
    Record<string, { abi: JsonFragment[]; evm: { bytecode: { object: string }; deployedBytecode: { object: string } } }>
  >;
}

/**
 * Compiles the given project files (paths relative to the project root) and whatever they
 * import. Unit names are project-relative paths, so the metadata hash in the bytecode (and so
 * the bytecode) is the same in every clone of the repository.
 */
export function compileSolidity(files: readonly string[]): CompileResult {
  const sources = Object.fromEntries(files.map((f) => [f, { content: readFileSync(fromRoot(f), 'utf8') }]));
  const input = { language: 'Solidity', sources, settings: SOLC_SETTINGS };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImport })) as SolcOutput;
  const problems = output.errors ?? [];
  const errors = problems.filter((e) => e.severity === 'error').map((e) => e.formattedMessage.trim());
  if (errors.length > 0) throw itradeError('CHAIN_COMPILE', `solc: ${errors.join('\n')}`);
  const contracts = new Map<string, CompiledContract>();
  for (const [source, byName] of Object.entries(output.contracts ?? {})) {
    for (const [name, c] of Object.entries(byName)) {
      if (contracts.has(name))
        throw itradeError('CHAIN_COMPILE', `two contracts named ${name} (${contracts.get(name)!.source}, ${source})`);
      contracts.set(name, {
        name,
        source,
        abi: c.abi,
        bytecode: `0x${c.evm.bytecode.object}`,
        deployedBytecode: `0x${c.evm.deployedBytecode.object}`,
      });
    }
  }
  const warnings = problems.filter((e) => e.severity === 'warning').map((e) => e.formattedMessage.trim());
  return { solcVersion: solc.version(), contracts, warnings };
}

/** One compiled contract, or a clear error naming what was compiled. */
export function pick(result: CompileResult, name: string): CompiledContract {
  const c = result.contracts.get(name);
  if (!c) throw itradeError('CHAIN_COMPILE', `no contract ${name} among ${[...result.contracts.keys()].join(', ')}`);
  return c;
}
