// The parts of solc-js (npm `solc`, which ships no types) that contracts/compile.ts uses.
declare module 'solc' {
  export type ImportResult = { contents: string } | { error: string };
  export interface Callbacks {
    import?: (path: string) => ImportResult;
  }
  /** Standard JSON in, standard JSON out (https://docs.soliditylang.org/en/latest/using-the-compiler.html). */
  export function compile(input: string, callbacks?: Callbacks): string;
  export function version(): string;
  const solc: { compile: typeof compile; version: typeof version };
  export default solc;
}
