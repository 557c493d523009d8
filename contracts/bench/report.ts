// The table `npm run bench:gas` prints: gas per call before issue 16 (the frozen copy in
// contracts/bench/v1), now (EIP-1167 clones with immutable args) and with full contracts
// (contracts/bench/DataMarketplaceFull.sol), and whether each call meets its goal.

/** Measured gas per call, in the order the scenario ran them. */
export type Gas = Map<string, bigint>;

/** Issue 16's goals: the most gas each of these calls may use with the shipped (clone) marketplace. */
export const GAS_GOALS: readonly { readonly call: RegExp; readonly max: bigint; readonly label: string }[] = [
  { call: /^registerDataStreamPrincipal/, max: 250_000n, label: 'registerPrincipal' },
  { call: /^registerSensor/, max: 150_000n, label: 'registerSensor' },
  { call: /^subscribe/, max: 150_000n, label: 'subscribe' },
];

export interface GoalMark {
  max: bigint;
  met: boolean;
}

/** The goal a call is held to, and whether `gas` meets it; undefined for a call without a goal. */
export function markGoal(call: string, gas: bigint): GoalMark | undefined {
  const goal = GAS_GOALS.find((g) => g.call.test(call));
  return goal && { max: goal.max, met: gas <= goal.max };
}

const fmt = (n: bigint): string => n.toLocaleString('en-US');

export interface Columns {
  before: Gas;
  now: Gas;
  full: Gas;
}

/** The side-by-side table, one row per call of `now` (a call another variant lacks shows "-"). */
export function renderTable(c: Columns, extra: readonly string[][] = []): string {
  const rows = [['call', 'before (main)', 'now (clones)', 'full contracts', 'now vs before', 'goal']];
  for (const [call, g] of c.now) {
    const before = c.before.get(call);
    const full = c.full.get(call);
    const mark = markGoal(call, g);
    const change = before ? `${(((Number(g) - Number(before)) / Number(before)) * 100).toFixed(0)} %` : '';
    const goal = mark ? `<= ${fmt(mark.max)} ${mark.met ? 'met' : 'NOT MET'}` : '';
    rows.push([
      call,
      before === undefined ? '-' : fmt(before),
      fmt(g),
      full === undefined ? '-' : fmt(full),
      change,
      goal,
    ]);
  }
  if (extra.length > 0)
    rows.push(['', '', '', '', '', ''], ...extra.map((r) => [...r, ...Array(6 - r.length).fill('')]));
  const width = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (i === 0 || i === 5 ? cell.padEnd(width[i]!) : cell.padStart(width[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** One line: how many of the goals the clone marketplace met. */
export function goalSummary(now: Gas): string {
  const marks = [...now].map(([call, g]) => [call, markGoal(call, g)] as const).filter(([, m]) => m !== undefined);
  const missed = marks.filter(([, m]) => !m!.met).map(([call]) => call);
  const met = marks.length - missed.length;
  return missed.length === 0
    ? `goals: all ${met} met`
    : `goals: ${met} of ${marks.length} met; NOT MET: ${missed.join(', ')}`;
}
