// UPnP Internet Gateway Device control over HTTP/SOAP (node:http).
import { abortError } from '../abort.js';
import { PortMappingError, UpnpDescriptionError, UpnpSoapError } from '../errors.js';
import { findWanService, type WanService } from '../upnp/description.js';
import { decodeSoapResponse, encodeSoapRequest } from '../upnp/soap.js';
import { boundedHttp } from './http.js';
import { type DiscoveredDevice, type SsdpSearchOptions, ssdpSearch } from './ssdp.js';

/** A device description larger than this is refused. */
export const MAX_DESCRIPTION_BYTES = 128 * 1024;
/** A SOAP response larger than this is refused. */
export const MAX_SOAP_BYTES = 32 * 1024;

/** One entry of the IGD's port mapping table (GetSpecificPortMappingEntry). */
export interface PortMappingEntry {
  /** The local port the mapping forwards to. */
  internalPort: number;
  /** The local IP address the mapping forwards to. */
  internalClient: string;
  /** Whether the mapping is enabled. */
  enabled: boolean;
  /** The mapping's description. */
  description: string;
  /** Remaining lease, seconds; 0 = permanent. */
  leaseDuration: number;
}

/** A UPnP Internet Gateway Device's WAN connection service, controlled over SOAP. */
export class InternetGatewayDevice {
  /** The URL of its device description. */
  readonly location: string;
  /** The WAN connection service used. */
  readonly service: WanService;
  /** our address on the interface that reached this device */
  readonly localAddress: string;
  private readonly timeoutMs: number;

  constructor(location: string, service: WanService, localAddress: string, timeoutMs = 2000) {
    this.location = location;
    this.service = service;
    this.localAddress = localAddress;
    this.timeoutMs = timeoutMs;
  }

  /** The host name of the control URL. */
  get host(): string {
    return new URL(this.service.controlUrl).hostname;
  }

  /** Runs one SOAP action; a fault becomes an UpnpSoapError carrying the UPnP error code. */
  async action(
    name: string,
    args: ReadonlyArray<readonly [string, string | number]>,
    signal?: AbortSignal,
  ): Promise<Record<string, string>> {
    const req = encodeSoapRequest(this.service.serviceType, name, args);
    const res = await boundedHttp({
      url: this.service.controlUrl,
      method: 'POST',
      headers: { 'Content-Type': 'text/xml; charset="utf-8"', SOAPAction: req.soapAction },
      body: req.body,
      maxBytes: MAX_SOAP_BYTES,
      timeoutMs: this.timeoutMs,
      signal,
    });
    const decoded = decodeSoapResponse(name, res.body);
    if (decoded instanceof UpnpSoapError) throw decoded;
    if (decoded instanceof UpnpDescriptionError) {
      if (res.status < 200 || res.status >= 300)
        throw new PortMappingError('http', `UPnP ${name}: HTTP ${res.status} from ${this.host}`);
      throw decoded;
    }
    return decoded;
  }

  /** GetExternalIPAddress: the router's external IPv4 address. */
  async getExternalIPAddress(signal?: AbortSignal): Promise<string> {
    const r = await this.action('GetExternalIPAddress', [], signal);
    const ip = r.NewExternalIPAddress;
    if (ip === undefined || !/^\d{1,3}(\.\d{1,3}){3}$/.test(ip))
      throw new UpnpDescriptionError('GetExternalIPAddress gave no IPv4 address');
    return ip;
  }

  /** GetStatusInfo: the WAN connection's status, last error and uptime. */
  async getStatusInfo(signal?: AbortSignal): Promise<{
    /** NewConnectionStatus, such as 'Connected'. */
    connectionStatus: string;
    /** NewLastConnectionError, such as 'ERROR_NONE'. */
    lastConnectionError: string;
    /** NewUptime: seconds the connection has been up. */
    uptime: number;
  }> {
    const r = await this.action('GetStatusInfo', [], signal);
    return {
      connectionStatus: r.NewConnectionStatus ?? '',
      lastConnectionError: r.NewLastConnectionError ?? '',
      uptime: toInt(r.NewUptime, 'NewUptime'),
    };
  }

  private mappingArgs(m: MappingArgs): Array<[string, string | number]> {
    return [
      ['NewRemoteHost', ''],
      ['NewExternalPort', m.externalPort],
      ['NewProtocol', m.protocol.toUpperCase()],
      ['NewInternalPort', m.internalPort],
      ['NewInternalClient', m.internalClient ?? this.localAddress],
      ['NewEnabled', 1],
      ['NewPortMappingDescription', m.description],
      ['NewLeaseDuration', m.leaseDuration],
    ];
  }

  /** AddPortMapping at the external port asked for. */
  async addPortMapping(m: MappingArgs, signal?: AbortSignal): Promise<void> {
    await this.action('AddPortMapping', this.mappingArgs(m), signal);
  }

  /** IGDv2 only: the router picks a free external port near the one asked for. */
  async addAnyPortMapping(m: MappingArgs, signal?: AbortSignal): Promise<number> {
    const r = await this.action('AddAnyPortMapping', this.mappingArgs(m), signal);
    return toPort(r.NewReservedPort, 'NewReservedPort');
  }

  /** DeletePortMapping. */
  async deletePortMapping(
    externalPort: number,
    protocol: 'udp' | 'tcp',
    signal?: AbortSignal,
  ): Promise<void> {
    await this.action(
      'DeletePortMapping',
      [
        ['NewRemoteHost', ''],
        ['NewExternalPort', externalPort],
        ['NewProtocol', protocol.toUpperCase()],
      ],
      signal,
    );
  }

  /**
   * GetSpecificPortMappingEntry: the mapping at that external port; rejects with an UpnpSoapError
   * (714) when there is none.
   */
  async getSpecificPortMappingEntry(
    externalPort: number,
    protocol: 'udp' | 'tcp',
    signal?: AbortSignal,
  ): Promise<PortMappingEntry> {
    const r = await this.action(
      'GetSpecificPortMappingEntry',
      [
        ['NewRemoteHost', ''],
        ['NewExternalPort', externalPort],
        ['NewProtocol', protocol.toUpperCase()],
      ],
      signal,
    );
    return {
      internalPort: toPort(r.NewInternalPort, 'NewInternalPort'),
      internalClient: r.NewInternalClient ?? '',
      enabled: r.NewEnabled === '1' || r.NewEnabled === 'true',
      description: r.NewPortMappingDescription ?? '',
      leaseDuration: toInt(r.NewLeaseDuration, 'NewLeaseDuration'),
    };
  }
}

export interface MappingArgs {
  externalPort: number;
  protocol: 'udp' | 'tcp';
  internalPort: number;
  internalClient?: string;
  description: string;
  /** seconds, 0 = permanent */
  leaseDuration: number;
}

function toInt(value: string | undefined, name: string): number {
  if (value === undefined || !/^\d{1,10}$/.test(value))
    throw new UpnpDescriptionError(`${name} is not a number`);
  return Number(value);
}

function toPort(value: string | undefined, name: string): number {
  const n = toInt(value, name);
  if (n < 1 || n > 65535) throw new UpnpDescriptionError(`${name} ${n} is not a port`);
  return n;
}

/** Fetches and parses one device description (bounded size and time). */
export async function describeDevice(
  device: DiscoveredDevice,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<InternetGatewayDevice> {
  const res = await boundedHttp({
    url: device.location,
    method: 'GET',
    maxBytes: MAX_DESCRIPTION_BYTES,
    timeoutMs,
    signal,
  });
  if (res.status !== 200)
    throw new PortMappingError('http', `device description ${device.location}: HTTP ${res.status}`);
  const service = findWanService(res.body, device.location);
  if (service instanceof UpnpDescriptionError) throw service;
  // later renewals and deletions get at least 2 s per SOAP call
  return new InternetGatewayDevice(device.location, service, device.localAddress, Math.max(2000, timeoutMs));
}

export interface FindIgdOptions extends Omit<SsdpSearchOptions, 'onDevice'> {}

/**
 * SSDP search, then each device description as soon as its answer arrives; resolves with the
 * first device that offers a WAN connection service. Rejects with a PortMappingError, or an
 * AbortError as soon as `signal` aborts.
 */
export function findInternetGatewayDevice(options: FindIgdOptions): Promise<InternetGatewayDevice> {
  return new Promise((resolve, reject) => {
    const errors: Error[] = [];
    const pending = new Set<Promise<void>>();
    let searchDone = false;
    let settled = false;
    const local = new AbortController();
    const onOuterAbort = (): void => {
      local.abort();
      settle(undefined);
    };
    options.signal?.addEventListener('abort', onOuterAbort, { once: true });
    const settle = (err: Error | undefined, igd?: InternetGatewayDevice): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onOuterAbort);
      local.abort();
      if (igd !== undefined) resolve(igd);
      else if (options.signal?.aborted)
        reject(abortError(options.signal, 'the UPnP gateway search was aborted'));
      else reject(err);
    };
    const maybeFail = (): void => {
      if (!searchDone || pending.size > 0) return;
      const err =
        errors[0] ??
        new PortMappingError(
          'timeout',
          `no UPnP Internet Gateway Device answered SSDP within ${options.timeoutMs} ms`,
        );
      settle(err);
    };
    ssdpSearch({
      ...options,
      signal: local.signal,
      onRejected: (location, reason) => {
        errors.push(
          new PortMappingError('untrusted-location', `ignored UPnP device at ${location}: ${reason}`),
        );
        options.onRejected?.(location, reason);
      },
      onDevice: (device) => {
        const p = describeDevice(device, options.timeoutMs, local.signal).then(
          (igd) => settle(undefined, igd),
          (err: Error) => {
            errors.push(err);
          },
        );
        pending.add(p);
        void p.finally(() => {
          pending.delete(p);
          maybeFail();
        });
      },
    }).then(() => {
      searchDone = true;
      maybeFail();
    });
  });
}
