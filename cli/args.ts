// The parsers of command-line values (commander's argParser): plain functions in a module of
// their own, so a command that needs them (itrade crypto) does not load the market's libraries.
import { InvalidArgumentError } from 'commander';
import { parseUnits } from 'ethers';

export function int(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgumentError('not a non-negative integer');
  return n;
}

export function count(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new InvalidArgumentError('not a positive integer');
  return n;
}

export function positive(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('not a positive number');
  return n;
}

export function decimal(v: string): number {
  const n = Number(v);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('not a number');
  return n;
}

/** "1000" (wei), "10 gwei", "0.001 ether". */
export function amount(v: string): bigint {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(wei|gwei|ether)?\s*$/i.exec(v);
  if (!m) throw new InvalidArgumentError('an amount: wei, or a number with gwei / ether ("10 gwei")');
  try {
    return parseUnits(m[1]!, (m[2] ?? 'wei').toLowerCase());
  } catch {
    throw new InvalidArgumentError(`${v} is not a whole number of wei`);
  }
}

export function address(v: string): string {
  if (!/^0x[0-9a-fA-F]{40}$/.test(v)) throw new InvalidArgumentError('not a 0x-prefixed 20-byte address');
  return v.toLowerCase();
}
