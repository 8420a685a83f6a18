// NAT-PMP (RFC 6886) message encoders and decoders. Pure functions: decoders return a
// PortMappingDecodeError for any malformed input and never throw.
import { formatIPv4 } from '../address.js';
import { PortMappingDecodeError } from '../errors.js';

/** RFC 6886 §3: the server listens on UDP port 5351 of the default gateway. */
export const NATPMP_PORT = 5351;
/** RFC 6886 §3: the NAT-PMP version number, 0. */
export const NATPMP_VERSION = 0;

/** RFC 6886 §3.2, §3.3: request opcodes (a response's opcode is 128 plus the request's). */
export const NatPmpOpcode = {
  /** Ask for the gateway's external address. */
  ExternalAddress: 0,
  /** Map a UDP port. */
  MapUdp: 1,
  /** Map a TCP port. */
  MapTcp: 2,
} as const;

/** RFC 6886 §3.5 result codes. */
export const NatPmpResultCode = {
  /** 0: the request succeeded. */
  Success: 0,
  /** 1: the server does not speak this version. */
  UnsupportedVersion: 1,
  /** 2: not authorized or refused (mapping disabled, say). */
  NotAuthorized: 2,
  /** 3: network failure (the gateway has no external address yet). */
  NetworkFailure: 3,
  /** 4: out of resources (no more mappings). */
  OutOfResources: 4,
  /** 5: the server does not support this opcode. */
  UnsupportedOpcode: 5,
} as const;

const resultNames = [
  'Success',
  'Unsupported Version',
  'Not Authorized/Refused',
  'Network Failure',
  'Out of resources',
  'Unsupported opcode',
];

/** The RFC 6886 name of a result code, for messages. */
export function natPmpResultName(code: number): string {
  return resultNames[code] ?? `unknown result code ${code}`;
}

/** RFC 6886 §3.2: a two-byte request, version 0 opcode 0. */
export function encodeExternalAddressRequest(): Uint8Array {
  return new Uint8Array([NATPMP_VERSION, NatPmpOpcode.ExternalAddress]);
}

/** A NAT-PMP mapping request (RFC 6886 §3.3). */
export interface NatPmpMapRequest {
  /** The transport protocol to map. */
  protocol: 'udp' | 'tcp';
  /** The local port to map. */
  internalPort: number;
  /** 0 = no preference. RFC 6886 §3.4: MUST be 0 when deleting. */
  suggestedExternalPort: number;
  /** seconds; 0 deletes the mapping (RFC 6886 §3.4) */
  lifetime: number;
}

/** RFC 6886 §3.3: 12-byte mapping request. */
export function encodeMapRequest(req: NatPmpMapRequest): Uint8Array {
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  out[0] = NATPMP_VERSION;
  out[1] = req.protocol === 'udp' ? NatPmpOpcode.MapUdp : NatPmpOpcode.MapTcp;
  view.setUint16(2, 0); // reserved, MUST be zero
  view.setUint16(4, req.internalPort);
  view.setUint16(6, req.lifetime === 0 ? 0 : req.suggestedExternalPort);
  view.setUint32(8, req.lifetime >>> 0);
  return out;
}

/**
 * A decoded NAT-PMP response: the external address, a mapping, or an error with the common header
 * only.
 */
export type NatPmpResponse =
  | {
      /** A response to the external address request. */
      kind: 'external-address';
      /** The response opcode (128 + request opcode). */
      opcode: number;
      /** The result code (see `NatPmpResultCode`). */
      resultCode: number;
      /** Seconds since the gateway's mapping table was (re)initialised. */
      epoch: number;
      /** present when resultCode is 0 */
      externalAddress: string | undefined;
    }
  | {
      /** A response to a mapping request. */
      kind: 'mapping';
      /** The response opcode (128 + request opcode). */
      opcode: number;
      /** The result code (see `NatPmpResultCode`). */
      resultCode: number;
      /** Seconds since the gateway's mapping table was (re)initialised. */
      epoch: number;
      /** The local port mapped. */
      internalPort: number;
      /** The external port granted. */
      externalPort: number;
      /** The lifetime granted, seconds. */
      lifetime: number;
    }
  | {
      /** an error answer with only the common header (RFC 6886 §3.5) */
      kind: 'error';
      /** The response opcode (128 + request opcode). */
      opcode: number;
      /** The result code (see `NatPmpResultCode`). */
      resultCode: number;
      /** Seconds since the gateway's mapping table was (re)initialised. */
      epoch: number;
    };

/** Decodes a NAT-PMP response (RFC 6886 §3.2, §3.3, §3.5). */
export function decodeResponse(bytes: Uint8Array): NatPmpResponse | PortMappingDecodeError {
  if (bytes.length < 8) return new PortMappingDecodeError('nat-pmp', `too short (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint8(0);
  if (version !== NATPMP_VERSION)
    return new PortMappingDecodeError('nat-pmp', `version ${version}, expected 0`);
  const op = view.getUint8(1);
  if (op < 128) return new PortMappingDecodeError('nat-pmp', `opcode ${op} is a request, not a response`);
  const opcode = op - 128;
  const resultCode = view.getUint16(2);
  const epoch = view.getUint32(4);
  if (opcode === NatPmpOpcode.ExternalAddress) {
    if (resultCode !== 0) return { kind: 'error', opcode, resultCode, epoch };
    if (bytes.length < 12)
      return new PortMappingDecodeError('nat-pmp', 'external address answer shorter than 12 bytes');
    return {
      kind: 'external-address',
      opcode,
      resultCode,
      epoch,
      externalAddress: formatIPv4(view.getUint32(8)),
    };
  }
  if (opcode === NatPmpOpcode.MapUdp || opcode === NatPmpOpcode.MapTcp) {
    if (bytes.length < 16) {
      // RFC 6886 §3.5: with a non-zero result only the common header is meaningful.
      if (resultCode !== 0) return { kind: 'error', opcode, resultCode, epoch };
      return new PortMappingDecodeError('nat-pmp', 'mapping answer shorter than 16 bytes');
    }
    return {
      kind: 'mapping',
      opcode,
      resultCode,
      epoch,
      internalPort: view.getUint16(8),
      externalPort: view.getUint16(10),
      lifetime: view.getUint32(12),
    };
  }
  return { kind: 'error', opcode, resultCode, epoch };
}
