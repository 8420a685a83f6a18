// mapPort(): PCP (falling back to NAT-PMP) and UPnP-IGD raced in parallel, first mapping wins.
import { randomBytes, randomInt } from 'node:crypto';
import { NoPortMappingServiceError, PortMappingError, UpnpErrorCode, UpnpSoapError } from '../errors.js';
import { GatewayMappingClient } from '../gateway-client.js';
import { defaultGateway, localAddressTowards } from './gateway.js';
import { runGatewayOperation } from './gateway-exchange.js';
import { findInternetGatewayDevice, type InternetGatewayDevice } from './igd.js';
import { type MappingDriver, PortMapping, type PortMappingMethod, type RenewalHooks } from './mapping.js';
import type { LocalInterface } from './ssdp.js';

export interface MapPortOptions {
  /** local port to expose */
  internalPort: number;
  /** default 'udp' */
  protocol?: 'udp' | 'tcp';
  /** requested lifetime in seconds; default 7200 (RFC 6886 §3.3 recommendation) */
  lifetime?: number;
  /** external port to ask for; default the internal port */
  externalPort?: number;
  signal?: AbortSignal;
  /** give up after this many ms with NoPortMappingServiceError; default 2000 */
  timeoutMs?: number;
  /** which protocols to try; default all three */
  methods?: PortMappingMethod[];
  /** gateway for PCP / NAT-PMP; default from the IPv4 default route */
  gateway?: string;
  /** UPnP mapping description; default 'p2pcat' */
  description?: string;
  /** renew at half-life automatically; default true */
  autoRenew?: boolean;
  onRenew?: (mapping: PortMapping) => void;
  onRenewError?: (error: Error, mapping: PortMapping) => void;
  /** testing hooks: PCP/NAT-PMP server port, SSDP target and interfaces */
  gatewayPort?: number;
  ssdpTarget?: { address: string; port: number };
  interfaces?: LocalInterface[];
}

const DEFAULT_LIFETIME = 7200;
const DELETE_TIMEOUT_MS = 2000;

/**
 * Maps `internalPort` on the home router. Resolves with the first mapping that works or rejects
 * after `timeoutMs` with NoPortMappingServiceError (or the most telling refusal).
 */
export async function mapPort(options: MapPortOptions): Promise<PortMapping> {
  validate(options);
  const timeoutMs = options.timeoutMs ?? 2000;
  const methods = options.methods ?? ['pcp', 'nat-pmp', 'upnp-igd'];
  const race = new AbortController();
  const onOuterAbort = (): void => race.abort();
  if (options.signal?.aborted) throw new PortMappingError('aborted', 'port mapping aborted');
  options.signal?.addEventListener('abort', onOuterAbort, { once: true });
  const timer = setTimeout(() => race.abort(), timeoutMs);
  const hooks: RenewalHooks = {
    autoRenew: options.autoRenew ?? true,
    onRenew: options.onRenew,
    onRenewError: options.onRenewError,
  };

  const contenders: Array<Promise<PortMapping>> = [];
  const wantPcp = methods.includes('pcp');
  const wantPmp = methods.includes('nat-pmp');
  if (wantPcp || wantPmp)
    contenders.push(mapViaGateway(options, wantPcp, wantPmp, hooks, race.signal, timeoutMs));
  if (methods.includes('upnp-igd')) contenders.push(mapViaUpnp(options, hooks, race.signal, timeoutMs));

  let winner: PortMapping | undefined;
  let failed = false;
  const errors: Error[] = [];
  try {
    return await new Promise<PortMapping>((resolve, reject) => {
      let left = contenders.length;
      const fail = (): void => {
        if (winner !== undefined || failed) return;
        failed = true;
        reject(pickError(errors, timeoutMs, options.signal));
      };
      if (left === 0) reject(new PortMappingError('no-service', 'mapPort: no method selected'));
      for (const c of contenders) {
        c.then(
          (m) => {
            if (winner === undefined && !failed) {
              winner = m;
              resolve(m);
            } else void discardLoser(m, winner);
          },
          (err: Error) => {
            errors.push(err);
            left -= 1;
            if (left === 0) fail();
          },
        );
      }
      race.signal.addEventListener('abort', fail);
    });
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', onOuterAbort);
    race.abort(); // stop the losers
  }
}

function validate(o: MapPortOptions): void {
  const isPort = (p: unknown): boolean => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;
  if (!isPort(o.internalPort))
    throw new TypeError(`mapPort: internalPort must be 1..65535, got ${String(o.internalPort)}`);
  if (o.externalPort !== undefined && !isPort(o.externalPort)) {
    throw new TypeError(`mapPort: externalPort must be 1..65535, got ${String(o.externalPort)}`);
  }
  if (
    o.lifetime !== undefined &&
    !(Number.isInteger(o.lifetime) && o.lifetime >= 1 && o.lifetime <= 0xffffffff)
  ) {
    throw new TypeError(
      `mapPort: lifetime must be a positive whole number of seconds, got ${String(o.lifetime)}`,
    );
  }
  if (o.protocol !== undefined && o.protocol !== 'udp' && o.protocol !== 'tcp') {
    throw new TypeError(`mapPort: protocol must be 'udp' or 'tcp', got ${String(o.protocol)}`);
  }
}

/**
 * A mapping that completed after the race was decided is deleted, unless it is the very same
 * rule as the winner's (same device, same external port): then it is only forgotten, so that
 * deleting it does not delete the winner's.
 */
async function discardLoser(loser: PortMapping, winner: PortMapping | undefined): Promise<void> {
  if (
    winner !== undefined &&
    loser.gateway === winner.gateway &&
    loser.externalPort === winner.externalPort
  ) {
    loser.forget();
    return;
  }
  await loser.close().catch(() => undefined);
}

function pickError(errors: Error[], timeoutMs: number, outer: AbortSignal | undefined): Error {
  if (outer?.aborted) return new PortMappingError('aborted', 'port mapping aborted');
  const telling = errors.find(
    (e) =>
      e instanceof PortMappingError &&
      (e.kind === 'refused' || e.kind === 'decode' || e.kind === 'too-large'),
  );
  if (telling !== undefined) return telling;
  return new NoPortMappingServiceError(errors, timeoutMs);
}

function isDone(signal: AbortSignal): void {
  if (signal.aborted) throw new PortMappingError('aborted', 'port mapping aborted');
}

/**
 * PCP first; NAT-PMP on UNSUPP_VERSION or when PCP stays silent for a while (RFC 6887 §9),
 * driven by the sans-IO GatewayMappingClient.
 */
async function mapViaGateway(
  options: MapPortOptions,
  usePcp: boolean,
  useNatPmp: boolean,
  hooks: RenewalHooks,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<PortMapping> {
  const gateway = options.gateway ?? (await defaultGateway());
  const port = options.gatewayPort ?? 5351;
  const protocol = options.protocol ?? 'udp';
  const clientAddress = await localAddressTowards(gateway, port);
  isDone(signal);
  const client = new GatewayMappingClient({
    protocol,
    internalPort: options.internalPort,
    suggestedExternalPort: options.externalPort ?? options.internalPort,
    lifetime: options.lifetime ?? DEFAULT_LIFETIME,
    clientAddress,
    nonce: new Uint8Array(randomBytes(12)),
    usePcp,
    useNatPmp,
    // a PCP-silent gateway still gets a NAT-PMP try well inside the budget
    pcpHeadStartMs: Math.min(600, timeoutMs / 3),
  });
  const target = { host: gateway, port };
  const mapped = await runGatewayOperation(client, (now) => client.start(now), { ...target, signal });
  if (mapped.type !== 'mapped') throw new PortMappingError('decode', 'gateway deleted instead of mapping');
  const driver: MappingDriver = {
    refresh: async (s) => {
      const ev = await runGatewayOperation(client, (now) => client.renew(now), { ...target, signal: s });
      if (ev.type !== 'mapped') throw new PortMappingError('decode', 'gateway deleted instead of renewing');
      return ev.grant;
    },
    remove: async () => {
      await runGatewayOperation(client, (now) => client.delete(now), {
        ...target,
        signal: AbortSignal.timeout(DELETE_TIMEOUT_MS),
      });
    },
  };
  const { method, ...grant } = mapped.grant;
  return new PortMapping(
    { method, protocol, internalPort: options.internalPort, gateway, ...grant },
    driver,
    hooks,
  );
}

const MAX_CONFLICT_RETRIES = 4;

async function mapViaUpnp(
  options: MapPortOptions,
  hooks: RenewalHooks,
  signal: AbortSignal,
  timeoutMs: number,
): Promise<PortMapping> {
  // Listen to SSDP for 60 % of the budget (answers come within MX = 1 s, UDA 1.1 §1.3.3), so a
  // device that answered but then failed is reported as such before the budget runs out.
  const igd = await findInternetGatewayDevice({
    timeoutMs: Math.max(200, Math.round(timeoutMs * 0.6)),
    mx: 1,
    signal,
    interfaces: options.interfaces,
    target: options.ssdpTarget,
  });
  isDone(signal);
  const protocol = options.protocol ?? 'udp';
  const description = options.description ?? 'p2pcat';
  let lease = options.lifetime ?? DEFAULT_LIFETIME;
  let externalPort = options.externalPort ?? options.internalPort;
  const [externalAddress, status] = await Promise.all([
    igd.getExternalIPAddress(signal),
    // Not every IGD implements GetStatusInfo; only a definite "not connected" counts.
    igd.getStatusInfo(signal).catch(() => undefined),
  ]);
  if (status !== undefined && status.connectionStatus !== '' && status.connectionStatus !== 'Connected') {
    throw new PortMappingError(
      'refused',
      `the UPnP router at ${igd.host} reports its Internet connection as ${status.connectionStatus}`,
    );
  }
  let mapped = false;
  for (let attempt = 0; !mapped; attempt++) {
    isDone(signal);
    const args = {
      externalPort,
      protocol,
      internalPort: options.internalPort,
      description,
      leaseDuration: lease,
    };
    try {
      if (igd.service.supportsAddAny) externalPort = await igd.addAnyPortMapping(args, signal);
      else await igd.addPortMapping(args, signal);
      mapped = true;
    } catch (err) {
      if (!(err instanceof UpnpSoapError) || attempt >= MAX_CONFLICT_RETRIES) throw err;
      if (err.upnpCode === UpnpErrorCode.OnlyPermanentLeasesSupported && lease !== 0) {
        lease = 0; // permanent: we delete it on close
      } else if (err.upnpCode === UpnpErrorCode.ConflictInMappingEntry) {
        externalPort = randomInt(1024, 65536); // taken by another host: try another port
      } else if (err.upnpCode === UpnpErrorCode.SamePortValuesRequired) {
        externalPort = options.internalPort;
      } else if (err.upnpCode === UpnpErrorCode.InvalidAction && igd.service.supportsAddAny) {
        // some IGDv2 devices list AddAnyPortMapping but do not implement it
        (igd.service as { supportsAddAny: boolean }).supportsAddAny = false;
      } else throw err;
    }
  }
  const driver = upnpDriver(igd, protocol, options.internalPort, description, () => ({
    externalPort,
    lease,
  }));
  return new PortMapping(
    {
      method: 'upnp-igd',
      protocol,
      internalPort: options.internalPort,
      gateway: igd.host,
      externalAddress,
      externalPort,
      lifetime: lease,
    },
    driver,
    hooks,
  );
}

function upnpDriver(
  igd: InternetGatewayDevice,
  protocol: 'udp' | 'tcp',
  internalPort: number,
  description: string,
  state: () => { externalPort: number; lease: number },
): MappingDriver {
  return {
    refresh: async (signal) => {
      const { externalPort, lease } = state();
      // Re-adding the same mapping for the same client extends its lease (IGD WANIPConnection §2.5.16).
      await igd.addPortMapping(
        { externalPort, protocol, internalPort, description, leaseDuration: lease },
        signal,
      );
      const [externalAddress, status] = await Promise.all([
        igd.getExternalIPAddress(signal),
        // Not every IGD implements GetStatusInfo; only a definite "not connected" counts.
        igd.getStatusInfo(signal).catch(() => undefined),
      ]);
      if (status !== undefined && status.connectionStatus !== '' && status.connectionStatus !== 'Connected') {
        throw new PortMappingError(
          'refused',
          `the UPnP router at ${igd.host} reports its Internet connection as ${status.connectionStatus}`,
        );
      }
      return { externalAddress, externalPort, lifetime: lease };
    },
    remove: async () => {
      await igd.deletePortMapping(state().externalPort, protocol, AbortSignal.timeout(DELETE_TIMEOUT_MS));
    },
  };
}
