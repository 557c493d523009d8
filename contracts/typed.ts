// Types for ethers v6 contracts, derived from an ABI declared `as const` (contracts/generated/):
// `marketplace.registerDataStreamPrincipal(name, url, email, key, { value })` is type-checked,
// arguments and results alike, with no code generator and no dependency beyond ethers. Covers
// the Solidity types the marketplace uses (address, bool, string, bytes, ints, arrays of them,
// and structs in results).
import {
  Contract,
  type Addressable,
  type AddressLike,
  type BaseContract,
  type BytesLike,
  type ContractRunner,
  type ContractTransaction,
  type ContractTransactionResponse,
  type FunctionFragment,
  type InterfaceAbi,
  type Overrides,
} from 'ethers';

export interface AbiParameter {
  readonly type: string;
  readonly name: string;
  readonly indexed?: boolean;
  /** The fields of a `tuple` / `tuple[]` (a Solidity struct). */
  readonly components?: readonly AbiParameter[];
}

export interface AbiFunction {
  readonly type: 'function';
  readonly name: string;
  readonly inputs: readonly AbiParameter[];
  readonly outputs: readonly AbiParameter[];
  readonly stateMutability: 'pure' | 'view' | 'nonpayable' | 'payable';
}

export interface AbiEvent {
  readonly type: 'event';
  readonly name: string;
  readonly inputs: readonly AbiParameter[];
}

export type Abi = readonly { readonly type: string }[];

/** What a Solidity parameter accepts as an argument. Arrays first: `uint256[]` also matches `uint${string}`. */
export type SolidityInput<T extends string> = T extends `${infer E}[]`
  ? readonly SolidityInput<E>[]
  : T extends 'address'
    ? AddressLike
    : T extends 'bool'
      ? boolean
      : T extends 'string'
        ? string
        : T extends `bytes${string}`
          ? BytesLike
          : T extends `int${string}` | `uint${string}`
            ? bigint | number
            : unknown;

/** What ethers v6 returns for a Solidity type: every integer is a bigint, addresses are checksummed strings. */
export type SolidityOutput<T extends string> = T extends `${infer E}[]`
  ? SolidityOutput<E>[]
  : T extends 'address' | 'string' | `bytes${string}`
    ? string
    : T extends 'bool'
      ? boolean
      : T extends `int${string}` | `uint${string}`
        ? bigint
        : unknown;

/** A struct as ethers returns it (a Result): read its fields by name. */
export type TupleOutput<C extends readonly AbiParameter[]> = { readonly [F in C[number] as F['name']]: ParamOutput<F> };

/** What ethers returns for one ABI parameter, structs included. */
export type ParamOutput<P extends AbiParameter> = P['type'] extends 'tuple'
  ? TupleOutput<NonNullable<P['components']>>
  : P['type'] extends 'tuple[]'
    ? TupleOutput<NonNullable<P['components']>>[]
    : SolidityOutput<P['type']>;

type Inputs<P extends readonly AbiParameter[]> = {
  -readonly [K in keyof P]: P[K] extends AbiParameter ? SolidityInput<P[K]['type']> : never;
};

type Output<P extends readonly AbiParameter[]> = P extends readonly []
  ? void
  : P extends readonly [infer O extends AbiParameter]
    ? ParamOutput<O>
    : { -readonly [K in keyof P]: P[K] extends AbiParameter ? ParamOutput<P[K]> : never };

/** Only payable functions take a `value`. */
export type OverridesFor<M extends AbiFunction['stateMutability']> = M extends 'payable'
  ? Overrides
  : Omit<Overrides, 'value'>;

/** One contract function: calling it sends a transaction, or for view/pure returns the result. */
export interface TypedMethod<A extends unknown[], R, M extends AbiFunction['stateMutability']> {
  (...args: [...A, OverridesFor<M>?]): Promise<M extends 'view' | 'pure' ? R : ContractTransactionResponse>;
  readonly name: string;
  readonly fragment: FunctionFragment;
  staticCall(...args: [...A, OverridesFor<M>?]): Promise<R>;
  estimateGas(...args: [...A, OverridesFor<M>?]): Promise<bigint>;
  populateTransaction(...args: [...A, OverridesFor<M>?]): Promise<ContractTransaction>;
  send(...args: [...A, OverridesFor<M>?]): Promise<ContractTransactionResponse>;
}

type FunctionsOf<A extends Abi> = Extract<A[number], AbiFunction>;

export type ContractMethods<A extends Abi> = {
  [F in FunctionsOf<A> as F['name']]: TypedMethod<Inputs<F['inputs']>, Output<F['outputs']>, F['stateMutability']>;
};

/** An ethers Contract whose functions are typed by the ABI. */
export type TypedContract<A extends Abi> = Omit<BaseContract, 'connect' | 'attach'> &
  ContractMethods<A> & {
    connect(runner: ContractRunner | null): TypedContract<A>;
    attach(target: string | Addressable): TypedContract<A>;
  };

export function typedContract<A extends Abi>(
  address: string | Addressable,
  abi: A,
  runner?: ContractRunner | null,
): TypedContract<A> {
  return new Contract(address, abi as unknown as InterfaceAbi, runner) as unknown as TypedContract<A>;
}

type EventsOf<A extends Abi> = Extract<A[number], AbiEvent>;

/** An event's arguments by name, as ethers decodes them. */
export type EventArgs<E extends AbiEvent> = { [P in E['inputs'][number] as P['name']]: SolidityOutput<P['type']> };

/** Every event of an ABI as a union discriminated by `name`. */
export type AbiEventUnion<A extends Abi> =
  EventsOf<A> extends infer E ? (E extends AbiEvent ? { name: E['name']; args: EventArgs<E> } : never) : never;
