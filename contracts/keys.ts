// Principals' RSA public keys (docs/contracts.md, "The RSA key: calldata, an event and a hash").
// The marketplace stores only keccak256 of the key's UTF-8 PEM and the block of the
// PrincipalKeyUpdated event that carries it, so reading a key is one view call and one
// eth_getLogs of a single block (any provider's range cap allows it), and nobody between the
// chain and the reader (an RPC node, the gateway) can hand over another key unnoticed.
import { getAddress, id, zeroPadValue, type Provider } from 'ethers';
import { itradeError } from '../protocol/errors.ts';
import { attachMarketplace, marketplaceInterface, parseMarketplaceLogs } from './client.ts';
import { principalInfo } from './views.ts';

/** What the marketplace stores of a key: keccak256 of its UTF-8 text, exactly as registered. */
export function rsaKeyHash(pem: string): string {
  return id(pem);
}

/** Throws CHAIN_KEY_MISMATCH unless `pem` is the key whose hash the marketplace stores. */
export function assertPrincipalKey(principal: string, pem: string, storedHash: string): string {
  if (rsaKeyHash(pem) !== storedHash.toLowerCase()) {
    throw itradeError(
      'CHAIN_KEY_MISMATCH',
      `the RSA key given for principal ${principal} does not hash to ${storedHash}, the hash on chain`,
    );
  }
  return pem;
}

/**
 * The principal's current RSA public key (PEM) as registered on chain, checked against the
 * stored hash; undefined when the address is no principal of this marketplace. A node that
 * returns another key, or no event where the marketplace says it is, is CHAIN_KEY_MISMATCH.
 */
export async function readPrincipalKey(
  provider: Provider,
  marketplace: string,
  principal: string,
): Promise<string | undefined> {
  const info = await principalInfo(attachMarketplace(marketplace, provider), principal);
  if (!info) return undefined;
  const block = info.rsaPublicKeyBlock;
  const topics = [
    marketplaceInterface.getEvent('PrincipalKeyUpdated')!.topicHash,
    zeroPadValue(getAddress(principal), 32),
  ];
  const logs = await provider.getLogs({ address: marketplace, topics, fromBlock: block, toBlock: block });
  // Several updates in one block: the last one is current, and only the current one matches.
  const keys = parseMarketplaceLogs(logs, marketplace).flatMap((e) =>
    e.name === 'PrincipalKeyUpdated' ? [e.args.rsaPublicKey] : [],
  );
  const pem = keys.reverse().find((k) => rsaKeyHash(k) === info.rsaPublicKeyHash.toLowerCase());
  if (pem === undefined) {
    const what =
      keys.length === 0
        ? 'no PrincipalKeyUpdated event'
        : `${keys.length} PrincipalKeyUpdated event(s), none with the key`;
    throw itradeError(
      'CHAIN_KEY_MISMATCH',
      `principal ${principal}: block ${block} has ${what} whose hash the marketplace stores (${info.rsaPublicKeyHash})`,
    );
  }
  return pem;
}
