// NAT-PMP (RFC 6886) message encoders and decoders. Pure functions: decoders return a
// PortMappingDecodeError for any malformed input and never throw.
import { formatIPv4 } from '../address.js';
import { PortMappingDecodeError } from '../errors.js';

/** RFC 6886 §3: the server listens on UDP port 5351 of the default gateway. */
export const NATPMP_PORT = 5351;
export const NATPMP_VERSION = 0;

export const NatPmpOpcode = { ExternalAddress: 0, MapUdp: 1, MapTcp: 2 } as const;

/** RFC 6886 §3.5 result codes. */
export const NatPmpResultCode = {
  Success: 0,
  UnsupportedVersion: 1,
  NotAuthorized: 2,
  NetworkFailure: 3,
  OutOfResources: 4,
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

export function natPmpResultName(code: number): string {
  return resultNames[code] ?? `unknown result code ${code}`;
}

/** RFC 6886 §3.2: a two-byte request, version 0 opcode 0. */
export function encodeExternalAddressRequest(): Uint8Array {
  return new Uint8Array([NATPMP_VERSION, NatPmpOpcode.ExternalAddress]);
}

export interface NatPmpMapRequest {
  protocol: 'udp' | 'tcp';
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

export type NatPmpResponse =
  | {
      kind: 'external-address';
      opcode: number;
      resultCode: number;
      epoch: number;
      /** present when resultCode is 0 */
      externalAddress: string | undefined;
    }
  | {
      kind: 'mapping';
      opcode: number;
      resultCode: number;
      epoch: number;
      internalPort: number;
      externalPort: number;
      lifetime: number;
    }
  | {
      /** an error answer with only the common header (RFC 6886 §3.5) */
      kind: 'error';
      opcode: number;
      resultCode: number;
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
