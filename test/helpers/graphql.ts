// Asking a gateway's GraphQL API as a client does (POST /graphql, JSON), and waiting until its
// catalogue index has read the chain's current block: the observable point after which a
// transaction's effects are in every answer (docs/graphql.md).
import type { JsonRpcProvider } from 'ethers';

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions: { code: string; httpStatus?: number };
}

export interface GqlReply<T> {
  status: number;
  data: T | null;
  errors?: GqlError[];
}

export async function gql<T = Record<string, unknown>>(
  apiUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<GqlReply<T>> {
  const res = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T | null; errors?: GqlError[] };
  return { status: res.status, data: body.data ?? null, ...(body.errors ? { errors: body.errors } : {}) };
}

/** The data of a query that must succeed. */
export async function gqlData<T = Record<string, any>>(
  apiUrl: string,
  query: string,
  variables: Record<string, unknown> = {},
  token?: string,
): Promise<T> {
  const r = await gql<T>(apiUrl, query, variables, token);
  if (r.errors || !r.data) throw new Error(`GraphQL refused: ${JSON.stringify(r.errors)}`);
  return r.data;
}

/** Resolves once the gateway's index holds every block up to the chain's current one. */
export async function indexed(apiUrl: string, provider: JsonRpcProvider, timeoutMs = 60_000): Promise<number> {
  const block = await provider.getBlockNumber();
  const t0 = Date.now();
  for (;;) {
    const r = await gql<{ marketplace: { indexedBlock: number } }>(apiUrl, '{ marketplace { indexedBlock } }');
    if (r.data && r.data.marketplace.indexedBlock >= block) return block;
    if (Date.now() - t0 > timeoutMs) throw new Error(`the index did not reach block ${block}: ${JSON.stringify(r)}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}
