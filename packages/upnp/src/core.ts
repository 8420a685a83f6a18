// `@p2pcat/upnp/core`: the sans-IO parts of the package without the Node adapters (dgram, http,
// os, fs), so it loads without any `node:` builtin: the NAT-PMP (RFC 6886) and PCP (RFC 6887)
// message codecs as the `natpmp` and `pcp` namespaces (their function names overlap), the
// retransmitting request transaction, the PCP -> NAT-PMP mapping client, and the UPnP-IGD
// SSDP / device description / SOAP codecs.

export { isDoubleNatAddress } from './address.js';
export {
  GatewayResultError,
  NoPortMappingServiceError,
  PortMappingDecodeError,
  PortMappingError,
  type PortMappingErrorCode,
  UpnpDescriptionError,
  UpnpErrorCode,
  UpnpSoapError,
} from './errors.js';
export {
  type GatewayClientEvent,
  type GatewayGrant,
  GatewayMappingClient,
  type GatewayMappingConfig,
  type GatewayMethod,
} from './gateway-client.js';
export * as natpmp from './natpmp/message.js';
export * as pcp from './pcp/message.js';
export {
  IgnoredDatagram,
  ignore,
  NATPMP_SCHEDULE,
  PCP_SCHEDULE,
  RequestTransaction,
  type RetransmitSchedule,
  type TransactionEvent,
} from './transaction.js';
export { findWanService, WAN_SERVICE_TYPES, type WanService } from './upnp/description.js';
export { decodeSoapResponse, encodeSoapRequest, type SoapRequest } from './upnp/soap.js';
export {
  encodeMSearch,
  IGD_SEARCH_TARGETS,
  parseSsdpResponse,
  SSDP_ADDRESS,
  SSDP_PORT,
  type SsdpResponse,
} from './upnp/ssdp.js';
