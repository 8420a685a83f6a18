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
  /** Why the attempt failed (see PortMappingErrorCode). */
  readonly code: PortMappingErrorCode;
  constructor(code: PortMappingErrorCode, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'PortMappingError';
    this.code = code;
  }
}

/** A NAT-PMP or PCP datagram that cannot be decoded. Never thrown by decoders: they return it. */
export class PortMappingDecodeError extends PortMappingError {
  /** Which protocol's datagram it was. */
  readonly protocol: 'nat-pmp' | 'pcp';
  /** What was wrong with it. */
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
  /** 401 Invalid Action: the service has no such action. */
  InvalidAction: 401,
  /** 402 Invalid Args: an argument was missing, extra or of the wrong type. */
  InvalidArgs: 402,
  /** 501 Action Failed. */
  ActionFailed: 501,
  /** 606 Action not authorized. */
  ActionNotAuthorized: 606,
  /** 714 NoSuchEntryInArray: no such port mapping. */
  NoSuchEntryInArray: 714,
  /** 715 WildCardNotPermittedInSrcIP: the remote host must be a specific address. */
  WildCardNotPermittedInSrcIP: 715,
  /** 716 WildCardNotPermittedInExtPort: the external port must be a specific port. */
  WildCardNotPermittedInExtPort: 716,
  /** 718 ConflictInMappingEntry: the external port is mapped to another client. */
  ConflictInMappingEntry: 718,
  /** 724 SamePortValuesRequired: internal and external ports must be equal. */
  SamePortValuesRequired: 724,
  /** 725 OnlyPermanentLeasesSupported: the device accepts only permanent leases (duration 0). */
  OnlyPermanentLeasesSupported: 725,
  /** 726 RemoteHostOnlySupportsWildcard: the remote host must be empty. */
  RemoteHostOnlySupportsWildcard: 726,
  /** 727 ExternalPortOnlySupportsWildcard: the external port must be 0. */
  ExternalPortOnlySupportsWildcard: 727,
  /** 728 NoPortMapsAvailable: the mapping table is full. */
  NoPortMapsAvailable: 728,
  /** 729 ConflictWithOtherMechanisms: the mapping conflicts with one made by another mechanism. */
  ConflictWithOtherMechanisms: 729,
  /** 732 WildCardNotPermittedInIntPort: the internal port must be a specific port. */
  WildCardNotPermittedInIntPort: 732,
} as const;

/** A SOAP fault returned by the IGD, with its UPnP error code. */
export class UpnpSoapError extends PortMappingError {
  /** The UPnP error code (see `UpnpErrorCode`). */
  readonly upnpCode: number;
  /** The errorDescription of the fault. */
  readonly upnpDescription: string;
  /** The SOAP action that failed ("AddPortMapping"). */
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
  /** Which protocol answered. */
  readonly protocol: 'nat-pmp' | 'pcp';
  /** The result code (see `NatPmpResultCode` and `PcpResultCode`). */
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
  /** The failure of each protocol tried. */
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
