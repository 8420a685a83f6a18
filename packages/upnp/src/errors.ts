// Typed errors. Every error that can reach a user carries one line saying what happened and what to do.
// One shape (issue 15): a PortMappingError with `code` from PortMappingErrorCode and the ES2022
// `cause` kept; an abort is not one of them but an error named 'AbortError' (abort.ts).

/** Why a port mapping attempt failed, in one word a caller can switch on. */
export type PortMappingErrorCode =
  | 'decode' // a NAT-PMP / PCP / SSDP / XML / SOAP answer was malformed
  | 'timeout' // no answer in time
  | 'refused' // the gateway answered with an error result code or SOAP fault
  | 'unsupported-version' // PCP server speaks only NAT-PMP (or an older version)
  | 'untrusted-location' // an SSDP LOCATION pointed off the local subnet
  | 'too-large' // an HTTP answer exceeded the size bound
  | 'http' // HTTP transport failure or non-2xx status without SOAP fault
  | 'no-gateway' // no default route / no IPv4 interface
  | 'no-service' // nothing answered at all
  | 'closed'; // renew() on a mapping already closed

/** The base of every error of @p2pcat/upnp: `code` says what, `message` is one line, `cause` is kept. */
export class PortMappingError extends Error {
  readonly code: PortMappingErrorCode;
  constructor(code: PortMappingErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PortMappingError';
    this.code = code;
  }
}

/** A NAT-PMP or PCP datagram that cannot be decoded. Never thrown by decoders: they return it. */
export class PortMappingDecodeError extends PortMappingError {
  readonly protocol: 'nat-pmp' | 'pcp';
  readonly reason: string;
  constructor(protocol: 'nat-pmp' | 'pcp', reason: string) {
    super('decode', `bad ${protocol === 'pcp' ? 'PCP' : 'NAT-PMP'} answer from the gateway: ${reason}`);
    this.name = 'PortMappingDecodeError';
    this.protocol = protocol;
    this.reason = reason;
  }
}

/** A UPnP device description or SOAP body that is malformed or of the wrong shape. */
export class UpnpDescriptionError extends PortMappingError {
  constructor(reason: string) {
    super('decode', `bad UPnP answer from the router: ${reason}`);
    this.name = 'UpnpDescriptionError';
  }
}

/** Well-known UPnP IGD error codes (WANIPConnection:2 service, §2.4). */
export const UpnpErrorCode = {
  InvalidAction: 401,
  InvalidArgs: 402,
  ActionFailed: 501,
  ActionNotAuthorized: 606,
  NoSuchEntryInArray: 714,
  WildCardNotPermittedInSrcIP: 715,
  WildCardNotPermittedInExtPort: 716,
  ConflictInMappingEntry: 718,
  SamePortValuesRequired: 724,
  OnlyPermanentLeasesSupported: 725,
  RemoteHostOnlySupportsWildcard: 726,
  ExternalPortOnlySupportsWildcard: 727,
  NoPortMapsAvailable: 728,
  ConflictWithOtherMechanisms: 729,
  WildCardNotPermittedInIntPort: 732,
} as const;

/** A SOAP fault returned by the IGD, with its UPnP error code. */
export class UpnpSoapError extends PortMappingError {
  readonly upnpCode: number;
  readonly upnpDescription: string;
  readonly action: string;
  constructor(action: string, upnpCode: number, upnpDescription: string) {
    super('refused', `the router refused UPnP ${action}: ${upnpCode} ${upnpDescription}${hintFor(upnpCode)}`);
    this.name = 'UpnpSoapError';
    this.upnpCode = upnpCode;
    this.upnpDescription = upnpDescription;
    this.action = action;
  }
}

function hintFor(code: number): string {
  if (code === UpnpErrorCode.ActionNotAuthorized)
    return ' (enable UPnP port forwarding for this host in the router settings)';
  if (code === UpnpErrorCode.NoPortMapsAvailable) return ' (the router mapping table is full)';
  return '';
}

/** A NAT-PMP or PCP result code other than success. */
export class GatewayResultError extends PortMappingError {
  readonly protocol: 'nat-pmp' | 'pcp';
  readonly resultCode: number;
  constructor(protocol: 'nat-pmp' | 'pcp', resultCode: number, name: string) {
    super(
      resultCode === 1 ? 'unsupported-version' : 'refused',
      `the gateway refused the ${protocol === 'pcp' ? 'PCP' : 'NAT-PMP'} request: ${name} (${resultCode})`,
    );
    this.name = 'GatewayResultError';
    this.protocol = protocol;
    this.resultCode = resultCode;
  }
}

/** Nothing on the network answered any of the three protocols in time. */
export class NoPortMappingServiceError extends PortMappingError {
  readonly causes: readonly Error[];
  constructor(causes: readonly Error[], timeoutMs: number) {
    super(
      'no-service',
      `no port-mapping service found (PCP, NAT-PMP and UPnP-IGD tried for ${timeoutMs} ms); enable UPnP or NAT-PMP on the router, or rely on STUN/TURN`,
      { cause: new AggregateError(causes, 'what each port-mapping protocol ran into') },
    );
    this.name = 'NoPortMappingServiceError';
    this.causes = causes;
  }
}
