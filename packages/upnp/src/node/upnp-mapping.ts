// mapPort's UPnP-IGD path: SSDP, device description, SOAP AddPortMapping with fault handling.
import { randomInt } from 'node:crypto';
import { PortMappingError, UpnpErrorCode, UpnpSoapError } from '../errors.js';
import { findInternetGatewayDevice, type InternetGatewayDevice } from './igd.js';
import { type MappingDriver, PortMapping, type RenewalHooks } from './mapping.js';
import {
  DEFAULT_LIFETIME,
  DELETE_TIMEOUT_MS,
  type MapPortOptions,
  throwIfAborted,
  withDeadline,
} from './mapping-common.js';
import type { RaceSignals } from './race-settlement.js';

const MAX_CONFLICT_RETRIES = 4;

export async function mapViaUpnp(
  options: MapPortOptions,
  hooks: RenewalHooks,
  race: RaceSignals,
  timeoutMs: number,
): Promise<PortMapping> {
  const signal = race.over; // discovery and reads stop with the race; AddPortMapping is awaited
  // Listen to SSDP for 60 % of the budget (answers come within MX = 1 s, UDA 1.1 §1.3.3), so a
  // device that answered but then failed is reported as such before the budget runs out.
  const igd = await findInternetGatewayDevice({
    timeoutMs: Math.max(200, Math.round(timeoutMs * 0.6)),
    mx: 1,
    signal,
    interfaces: options.interfaces,
    target: options.ssdpTarget,
  });
  throwIfAborted(signal);
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
    throwIfAborted(signal); // no new request once the race is over
    const args = {
      externalPort,
      protocol,
      internalPort: options.internalPort,
      description,
      leaseDuration: lease,
    };
    try {
      // Not stopped with the race: its answer says what the router made (race-settlement.ts).
      if (igd.service.supportsAddAny) externalPort = await igd.addAnyPortMapping(args, race.giveUp);
      else await igd.addPortMapping(args, race.giveUp);
      mapped = true;
    } catch (err) {
      if (!(err instanceof UpnpSoapError)) {
        // Sent, and no answer that says it failed: the router may have made it.
        race.abandoned({
          gateway: igd.host,
          externalAddress,
          externalPort: args.externalPort,
          protocol,
          remove: () => deleteUpnpMapping(igd, args.externalPort, protocol),
        });
        throw err;
      }
      if (attempt >= MAX_CONFLICT_RETRIES) throw err;
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
    remove: (signal) => deleteUpnpMapping(igd, state().externalPort, protocol, signal),
  };
}

async function deleteUpnpMapping(
  igd: InternetGatewayDevice,
  externalPort: number,
  protocol: 'udp' | 'tcp',
  signal?: AbortSignal,
): Promise<void> {
  const deadline = withDeadline(
    signal,
    DELETE_TIMEOUT_MS,
    `deleting the mapping on the UPnP router ${igd.host}`,
  );
  try {
    await igd.deletePortMapping(externalPort, protocol, deadline.signal);
  } catch (error) {
    throw deadline.explain(error);
  }
}
