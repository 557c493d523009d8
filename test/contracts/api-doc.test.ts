// docs/contracts-api.md is the interface the gateway codes against: every function and event it
// names must exist in the compiled ABIs with the same name, parameter types, parameter names,
// indexed flags, return type (a struct by its name) and (where the doc says) payability; every
// struct it lists must have exactly the documented fields.
import { readFileSync } from 'node:fs';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  DataMarketplaceAbi,
  DataStreamPrincipalAbi,
  DataStreamSubscriptionAbi,
  SensorAbi,
} from '../../contracts/generated/index.ts';
import { fromRoot } from '../../lib/paths.ts';

interface Field {
  readonly type: string;
  readonly name: string;
  readonly internalType?: string;
  readonly components?: readonly Field[];
}
interface Item {
  readonly type: string;
  readonly name?: string;
  readonly inputs?: readonly { readonly type: string; readonly name: string; readonly indexed?: boolean }[];
  readonly outputs?: readonly Field[];
  readonly stateMutability?: string;
}
const ABIS: Record<string, readonly Item[]> = {
  DataMarketplace: DataMarketplaceAbi,
  DataStreamPrincipal: DataStreamPrincipalAbi,
  Sensor: SensorAbi,
  DataStreamSubscription: DataStreamSubscriptionAbi,
  Events: DataMarketplaceAbi,
  Structs: DataMarketplaceAbi,
};

/** A return type as the doc names it: the ABI type, or for a struct its name (`SensorView`, `SensorView[]`). */
const returnName = (o: Field | undefined): string | undefined =>
  o?.type.startsWith('tuple') ? o.internalType?.replace(/^struct (\w+\.)?/, '') : o?.type;

interface Param {
  type: string;
  name?: string;
  indexed: boolean;
}
interface Signature {
  section: string;
  text: string;
  name: string;
  params: Param[];
  returns?: string;
  payable: boolean;
}

function parseParam(p: string): Param {
  const words = p.trim().split(/\s+/);
  const rest = words.slice(1).filter((w) => w !== 'indexed' && w !== 'payable');
  return { type: words[0]!, name: rest[0], indexed: words.includes('indexed') };
}

/** Every backticked `name(params) ... → type` span, by the `## Section` it is in. */
function signatures(): Signature[] {
  const doc = readFileSync(fromRoot('docs', 'contracts-api.md'), 'utf8');
  const out: Signature[] = [];
  for (const part of doc.split(/^## /m).slice(1)) {
    const section = part.split(/[\s:]/)[0]!;
    if (!(section in ABIS)) continue;
    for (const [, text] of part.matchAll(/`([^`]+)`/g)) {
      const m = /^(\w+)\(([^)]*)\)(.*)$/.exec(text!);
      if (!m) continue;
      const params = m[2]!.trim() === '' ? [] : m[2]!.split(',').map(parseParam);
      const ret = /→\s*(\S+)/.exec(m[3]!)?.[1];
      out.push({ section, text: text!, name: m[1]!, params, returns: ret, payable: /\bpayable\b/.test(m[3]!) });
    }
  }
  return out;
}

const sigs = signatures();

test('the doc is parsed: every contract section and the events are found', () => {
  const count = (s: string) => sigs.filter((x) => x.section === s).length;
  for (const s of Object.keys(ABIS).filter((k) => k !== 'Structs'))
    assert.ok(count(s) >= 5, `${s}: only ${count(s)} signatures found`);
  assert.is(count('Structs'), 3);
  assert.ok(sigs.length >= 60, `only ${sigs.length} signatures`);
});

test('every documented function exists with the documented parameters, return type and payability', () => {
  const problems: string[] = [];
  for (const sig of sigs.filter((s) => s.section !== 'Events' && s.section !== 'Structs')) {
    const fn = ABIS[sig.section]!.find((i) => i.type === 'function' && i.name === sig.name);
    if (!fn) {
      problems.push(`${sig.section}.${sig.name}: missing`);
      continue;
    }
    const types = fn.inputs!.map((i) => i.type).join(',');
    if (types !== sig.params.map((p) => p.type).join(',')) problems.push(`${sig.text}: ABI has (${types})`);
    sig.params.forEach(
      (p, i) =>
        p.name &&
        p.name !== fn.inputs![i]?.name &&
        problems.push(`${sig.text}: parameter ${i} is named ${fn.inputs![i]?.name}`),
    );
    if (sig.returns && returnName(fn.outputs![0]) !== sig.returns)
      problems.push(`${sig.text}: ABI returns ${returnName(fn.outputs![0])}`);
    if (sig.payable !== (fn.stateMutability === 'payable')) problems.push(`${sig.text}: ABI is ${fn.stateMutability}`);
    if (sig.returns && !sig.payable && fn.stateMutability !== 'view')
      problems.push(`${sig.text}: a getter, but ABI is ${fn.stateMutability}`);
  }
  assert.equal(problems, []);
});

test('every documented event exists with the documented parameters and indexed flags', () => {
  const problems: string[] = [];
  for (const sig of sigs.filter((s) => s.section === 'Events')) {
    const ev = ABIS.Events!.find((i) => i.type === 'event' && i.name === sig.name);
    if (!ev) {
      problems.push(`${sig.name}: missing`);
      continue;
    }
    const abi = ev.inputs!.map((i) => `${i.type}${i.indexed ? ' indexed' : ''} ${i.name}`).join(', ');
    const doc = sig.params.map((p) => `${p.type}${p.indexed ? ' indexed' : ''} ${p.name}`).join(', ');
    if (abi !== doc) problems.push(`${sig.name}: doc (${doc}), ABI (${abi})`);
  }
  assert.equal(problems, []);
});

test('every documented struct has exactly the documented fields, and every struct a view returns is documented', () => {
  const structs = new Map<string, string>();
  const collect = (o: Field) => {
    if (!o.type.startsWith('tuple')) return;
    structs.set(returnName(o)!.replace('[]', ''), o.components!.map((c) => `${c.type} ${c.name}`).join(', '));
    o.components!.forEach(collect);
  };
  for (const abi of Object.values(ABIS)) for (const i of abi) i.outputs?.forEach(collect);
  const documented = new Map(
    sigs
      .filter((s) => s.section === 'Structs')
      .map((s) => [s.name, s.params.map((p) => `${p.type} ${p.name}`).join(', ')]),
  );
  assert.equal(documented, structs);
});

test("the Errors section lists exactly the ABI's custom errors, with their parameters", () => {
  const doc = readFileSync(fromRoot('docs', 'contracts-api.md'), 'utf8');
  const section = doc.split(/^## /m).find((p) => p.startsWith('Errors'))!;
  const documented = [...section.matchAll(/`(\w+)\(([^)]*)\)`/g)]
    .map(([, name, params]) => `${name}(${params})`)
    .sort();
  const abi = ABIS.DataMarketplace!.filter((i) => i.type === 'error')
    .map((e) => `${e.name}(${e.inputs!.map((p) => `${p.type} ${p.name}`).join(', ')})`)
    .sort();
  assert.equal(documented, abi);
});

test('entities emit no events of their own: the marketplace emits them all', () => {
  for (const abi of [ABIS.DataStreamPrincipal!, ABIS.Sensor!, ABIS.DataStreamSubscription!]) {
    assert.equal(
      abi.filter((i) => i.type === 'event').map((i) => i.name),
      [],
    );
  }
});

test.run();
