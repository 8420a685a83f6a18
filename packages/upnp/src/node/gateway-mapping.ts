// mapPort's PCP / NAT-PMP path: the sans-IO GatewayMappingClient over node:dgram.
import { randomBytes } from 'node:crypto';
import { PortMappingError } from '../errors.js';
import { GatewayMappingClient } from '../gateway-client.js';
import { defaultGateway, localAddressTowards } from './gateway.js';
import { runGatewayOperation } from './gateway-exchange.js';
import { type MappingDriver, PortMapping, type RenewalHooks } from './mapping.js';
import {
  DEFAULT_LIFETIME,
  DELETE_TIMEOUT_MS,
  type MapPortOptions,
  throwIfAborted,
  withDeadline,
} from './mapping-common.js';
import type { RaceSignals } from './race-settlement.js';

/**
 * PCP first; NAT-PMP on UNSUPP_VERSION or when PCP stays silent for a while (RFC 6887 §9),
 * driven by the sans-IO GatewayMappingClient.
 */
export async function mapViaGateway(
  options: MapPortOptions,
  usePcp: boolean,
  useNatPmp: boolean,
  hooks: RenewalHooks,
  race: RaceSignals,
  timeoutMs: number,
): Promise<PortMapping> {
  const gateway = options.gateway ?? (await defaultGateway());
  const port = options.gatewayPort ?? 5351;
  const protocol = options.protocol ?? 'udp';
  const clientAddress = await localAddressTowards(gateway, port);
  throwIfAborted(race.over);
  const suggestedExternalPort = options.externalPort ?? options.internalPort;
  const client = new GatewayMappingClient({
    protocol,
    internalPort: options.internalPort,
    suggestedExternalPort,
    lifetime: options.lifetime ?? DEFAULT_LIFETIME,
    clientAddress,
    nonce: new Uint8Array(randomBytes(12)),
    usePcp,
    useNatPmp,
    // a PCP-silent gateway still gets a NAT-PMP try well inside the budget
    pcpHeadStartMs: Math.min(600, timeoutMs / 3),
  });
  const target = { host: gateway, port };
  const driver: MappingDriver = {
    refresh: async (s) => {
      const ev = await runGatewayOperation(client, (now) => client.renew(now), { ...target, signal: s });
      if (ev.type !== 'mapped') throw new PortMappingError('decode', 'gateway deleted instead of renewing');
      return ev.grant;
    },
    remove: async (s) => {
      const deadline = withDeadline(s, DELETE_TIMEOUT_MS, `deleting the mapping on gateway ${gateway}`);
      try {
        await runGatewayOperation(client, (now) => client.delete(now), {
          ...target,
          signal: deadline.signal,
        });
      } catch (error) {
        throw deadline.explain(error);
      }
    },
  };
  // Once the race is over nothing more is sent, but the answer to a MAP already sent is awaited: it
  // says what the gateway made, for the race's settlement to delete.
  let mapped: Awaited<ReturnType<typeof runGatewayOperation>>;
  try {
    mapped = await runGatewayOperation(client, (now) => client.start(now), {
      ...target,
      signal: race.giveUp,
      quiet: race.over,
    });
  } catch (error) {
    // A MAP unanswered (or the other protocol's, after a refusal) may have made a mapping: the
    // client's delete covers what it sent, and reports at once when nothing went out.
    race.abandoned({
      gateway,
      externalAddress: undefined,
      externalPort: suggestedExternalPort,
      protocol,
      remove: () => driver.remove(),
    });
    throw error;
  }
  if (mapped.type !== 'mapped') throw new PortMappingError('decode', 'gateway deleted instead of mapping');
  const { method, ...grant } = mapped.grant;
  return new PortMapping(
    { method, protocol, internalPort: options.internalPort, gateway, ...grant },
    driver,
    hooks,
  );
}
