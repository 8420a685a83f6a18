// The options of mapPort, in their own module so that the mapping paths (gateway-mapping, upnp-mapping)
// can take them without importing map-port, which imports them (no import cycle, issue 16).
import type { PortMapping, PortMappingMethod } from './mapping.js';
import type { LocalInterface } from './ssdp.js';

/** Options of `mapPort`. */
export interface MapPortOptions {
  /** local port to expose */
  internalPort: number;
  /** default 'udp' */
  protocol?: 'udp' | 'tcp';
  /** requested lifetime in seconds; default 7200 (RFC 6886 §3.3 recommendation) */
  lifetime?: number;
  /** external port to ask for; default the internal port */
  externalPort?: number;
  /** Stops the attempt (and deletes a mapping made meanwhile): mapPort rejects with an AbortError. */
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
  /** Called after each successful automatic renewal. */
  onRenew?: (mapping: PortMapping) => void;
  /** Called when an automatic renewal fails (it is retried while some lifetime is left). */
  onRenewError?: (error: Error, mapping: PortMapping) => void;
  /** testing hooks: PCP/NAT-PMP server port, SSDP target and interfaces */
  gatewayPort?: number;
  /** Testing hook: where M-SEARCH is sent instead of the SSDP multicast address. */
  ssdpTarget?: {
    /** The IP address to send M-SEARCH to. */
    address: string;
    /** Its port. */
    port: number;
  };
  /** Testing hook: the local interfaces to search from. */
  interfaces?: LocalInterface[];
}
