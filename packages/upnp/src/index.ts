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
export { findInternetGatewayDevice, InternetGatewayDevice, type PortMappingEntry } from './node/igd.js';
export { type MapPortOptions, mapPort } from './node/map-port.js';
export {
  PortMapping,
  type PortMappingInfo,
  type PortMappingMethod,
  type PortMappingOperationOptions,
} from './node/mapping.js';
