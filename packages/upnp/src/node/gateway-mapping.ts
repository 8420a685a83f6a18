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

/**
 * PCP first; NAT-PMP on UNSUPP_VERSION or when PCP stays silent for a while (RFC 6887 §9),
 * driven by the sans-IO GatewayMappingClient.
 */
export async function mapViaGateway(
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
  throwIfAborted(signal);
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
  const { method, ...grant } = mapped.grant;
  return new PortMapping(
    { method, protocol, internalPort: options.internalPort, gateway, ...grant },
    driver,
    hooks,
  );
}
