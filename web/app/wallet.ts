// The wallet through the standard EIP-1193 provider (window.ethereum: MetaMask and the like; the
// tests inject one backed by a development account). Every transaction goes through it and the
// page waits for its block; nothing here holds an Ethereum key.
import { BrowserProvider, type Eip1193Provider, type JsonRpcSigner } from 'ethers';
import {
  attachMarketplace,
  attachPrincipal,
  attachSensor,
  mined,
  registerPrincipal,
  registerSensor,
  subscribe,
} from '../../contracts/client.ts';
import { itradeError } from '../../protocol/errors.ts';

export interface Wallet {
  account: string;
  signer: JsonRpcSigner;
  chainId: number;
}

export async function connectWallet(): Promise<Wallet> {
  const eth = (globalThis as { ethereum?: Eip1193Provider }).ethereum;
  if (!eth) throw itradeError('WEB_WALLET', 'no wallet in this browser (an EIP-1193 provider such as MetaMask)');
  const accounts = (await eth.request({ method: 'eth_requestAccounts' })) as string[];
  if (!accounts[0]) throw itradeError('WEB_WALLET', 'the wallet gave no account');
  const provider = new BrowserProvider(eth);
  const signer = await provider.getSigner(accounts[0]);
  const chainId = Number((await provider.getNetwork()).chainId);
  return { account: accounts[0].toLowerCase(), signer, chainId };
}

export interface PrincipalForm {
  name: string;
  url: string;
  email: string;
}

export async function registerAsPrincipal(w: Wallet, market: string, form: PrincipalForm, pem: string) {
  const r = await registerPrincipal(attachMarketplace(market, w.signer), { ...form, rsaPublicKey: pem });
  return { principal: r.address.toLowerCase(), block: r.receipt.blockNumber };
}

export interface NewSensor {
  sensorType: number;
  latitude: number;
  longitude: number;
  priceWei: bigint;
}

export async function registerNewSensor(w: Wallet, principal: string, s: NewSensor) {
  const r = await registerSensor(attachPrincipal(principal, w.signer), {
    sensorType: s.sensorType,
    latitudeE6: Math.round(s.latitude * 1e6),
    longitudeE6: Math.round(s.longitude * 1e6),
    pricePerDataEntry: s.priceWei,
  });
  return { sensor: r.address.toLowerCase(), txHash: r.receipt.hash, block: r.receipt.blockNumber };
}

export async function setActive(w: Wallet, sensor: string, active: boolean): Promise<number> {
  const s = attachSensor(sensor, w.signer);
  return (await mined(active ? s.activate() : s.deactivate())).blockNumber;
}

export async function buyEntries(w: Wallet, sensor: string, buyer: string, entries: number) {
  // From the chain's now: history before it is not the buyer's (docs/key-exchange.md).
  const startTimestamp = (await w.signer.provider.getBlock('latest'))?.timestamp ?? 0;
  const r = await subscribe(attachSensor(sensor, w.signer), buyer, { startTimestamp, dataEntries: entries });
  return { subscription: r.address.toLowerCase(), paid: r.paid, block: r.receipt.blockNumber };
}

export async function withdrawEarnings(w: Wallet, market: string): Promise<number> {
  return (await mined(attachMarketplace(market, w.signer).withdraw())).blockNumber;
}
