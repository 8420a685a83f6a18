// PCP (RFC 6887) MAP request encoder and response decoder. Pure functions: the decoder returns a
// PortMappingDecodeError for malformed input and never throws.
import { formatIPv4, parseIPv4 } from '../address.js';
import { PortMappingDecodeError } from '../errors.js';

/** RFC 6887 §19.1: server port 5351 (shared with NAT-PMP). */
export const PCP_PORT = 5351;
/** RFC 6887 §7: the PCP version number, 2. */
export const PCP_VERSION = 2;
/** RFC 6887 §7.1 opcodes. */
export const PcpOpcode = {
  /** ANNOUNCE (RFC 6887 §14.1): the server announces a restart. */
  Announce: 0,
  /** MAP (RFC 6887 §11): map an inbound port. */
  Map: 1,
  /** PEER (RFC 6887 §12): create or learn the mapping towards one peer. */
  Peer: 2,
} as const;
/** RFC 6887 §7: maximum UDP payload. */
export const PCP_MAX_MESSAGE = 1100;

/** RFC 6887 §7.4 result codes. */
export const PcpResultCode = {
  /** 0 SUCCESS. */
  Success: 0,
  /** 1 UNSUPP_VERSION: the server does not speak this version. */
  UnsuppVersion: 1,
  /** 2 NOT_AUTHORIZED: the request was refused. */
  NotAuthorized: 2,
  /** 3 MALFORMED_REQUEST. */
  MalformedRequest: 3,
  /** 4 UNSUPP_OPCODE. */
  UnsuppOpcode: 4,
  /** 5 UNSUPP_OPTION: a mandatory option is not supported. */
  UnsuppOption: 5,
  /** 6 MALFORMED_OPTION. */
  MalformedOption: 6,
  /** 7 NETWORK_FAILURE: the server cannot map now (no external address, say). */
  NetworkFailure: 7,
  /** 8 NO_RESOURCES: the server is out of resources. */
  NoResources: 8,
  /** 9 UNSUPP_PROTOCOL: the transport protocol is not supported. */
  UnsuppProtocol: 9,
  /** 10 USER_EX_QUOTA: this client has too many mappings. */
  UserExQuota: 10,
  /** 11 CANNOT_PROVIDE_EXTERNAL: the suggested external address or port cannot be given. */
  CannotProvideExternal: 11,
  /** 12 ADDRESS_MISMATCH: the client address in the request is not its source address. */
  AddressMismatch: 12,
  /** 13 EXCESSIVE_REMOTE_PEERS: too many remote peers. */
  ExcessiveRemotePeers: 13,
} as const;

const resultNames = [
  'SUCCESS',
  'UNSUPP_VERSION',
  'NOT_AUTHORIZED',
  'MALFORMED_REQUEST',
  'UNSUPP_OPCODE',
  'UNSUPP_OPTION',
  'MALFORMED_OPTION',
  'NETWORK_FAILURE',
  'NO_RESOURCES',
  'UNSUPP_PROTOCOL',
  'USER_EX_QUOTA',
  'CANNOT_PROVIDE_EXTERNAL',
  'ADDRESS_MISMATCH',
  'EXCESSIVE_REMOTE_PEERS',
];

/** The RFC 6887 name of a result code, for messages. */
export function pcpResultName(code: number): string {
  return resultNames[code] ?? `unknown result code ${code}`;
}

const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/** A PCP MAP request (RFC 6887 §11.1). */
export interface PcpMapRequest {
  /** 12 random bytes (RFC 6887 §11.1); the same nonce renews and deletes the mapping */
  nonce: Uint8Array;
  /** The transport protocol to map. */
  protocol: 'udp' | 'tcp';
  /** The local port to map. */
  internalPort: number;
  /** The external port asked for; 0 for no preference. */
  suggestedExternalPort: number;
  /** dotted quad, or undefined for no preference */
  suggestedExternalAddress: string | undefined;
  /** seconds; 0 deletes (RFC 6887 §15) */
  lifetime: number;
  /** the client's own IPv4 address as the server will see it (RFC 6887 §7.1) */
  clientAddress: string;
}

/** IPv4-mapped IPv6 address ::ffff:a.b.c.d (RFC 6887 §5). */
function writeMappedIPv4(out: Uint8Array, offset: number, address: string | undefined): void {
  out[offset + 10] = 0xff;
  out[offset + 11] = 0xff;
  const v = address === undefined ? 0 : parseIPv4(address);
  if (v === undefined) throw new TypeError(`not an IPv4 address: ${address}`);
  out[offset + 12] = v >>> 24;
  out[offset + 13] = (v >>> 16) & 255;
  out[offset + 14] = (v >>> 8) & 255;
  out[offset + 15] = v & 255;
}

/** RFC 6887 §7.1 common request header + §11.1 MAP opcode body: 60 bytes. */
export function encodeMapRequest(req: PcpMapRequest): Uint8Array {
  if (req.nonce.length !== 12) throw new TypeError('PCP nonce must be 12 bytes');
  const out = new Uint8Array(60);
  const view = new DataView(out.buffer);
  out[0] = PCP_VERSION;
  out[1] = PcpOpcode.Map; // R bit 0 = request
  view.setUint32(4, req.lifetime >>> 0);
  writeMappedIPv4(out, 8, req.clientAddress);
  out.set(req.nonce, 24);
  out[36] = req.protocol === 'udp' ? IPPROTO_UDP : IPPROTO_TCP;
  view.setUint16(40, req.internalPort);
  view.setUint16(42, req.suggestedExternalPort);
  // RFC 6887 §11.1: no preference is the all-zeros address of the family, ::ffff:0.0.0.0 for IPv4.
  writeMappedIPv4(out, 44, req.suggestedExternalAddress);
  return out;
}

/** A decoded PCP response (RFC 6887 §7.2), with its MAP body if it has one. */
export interface PcpMapResponse {
  /** Always 2. */
  version: 2;
  /** The opcode (the R bit cleared). */
  opcode: number;
  /** The result code (see `PcpResultCode`). */
  resultCode: number;
  /** The lifetime granted, seconds (on an error: how long the error may last). */
  lifetime: number;
  /** The server's epoch time, seconds. */
  epoch: number;
  /** present for a MAP response with a full body */
  map:
    | {
        /** The mapping nonce, echoed from the request. */
        nonce: Uint8Array;
        /** The transport protocol: 'udp', 'tcp', or another IANA protocol number. */
        protocol: 'udp' | 'tcp' | number;
        /** The local port mapped. */
        internalPort: number;
        /** The external port granted. */
        externalPort: number;
        /** dotted quad when IPv4-mapped, else the hex of the 16 bytes */
        externalAddress: string;
      }
    | undefined;
}

/**
 * A server that does not speak PCP version 2 answers UNSUPP_VERSION carrying the version it
 * does speak (RFC 6887 §9). A NAT-PMP-only server answers in NAT-PMP format: version 0 and
 * result code 1 (RFC 6886 §3.5).
 */
export interface PcpVersionMismatch {
  /** The version the server speaks. */
  version: number;
  /** Marks a version mismatch. */
  unsupportedVersion: true;
}

function readAddress(bytes: Uint8Array, offset: number): string {
  let mapped = true;
  for (let i = 0; i < 10; i++) if (bytes[offset + i] !== 0) mapped = false;
  if (bytes[offset + 10] !== 0xff || bytes[offset + 11] !== 0xff) mapped = false;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (mapped) return formatIPv4(view.getUint32(offset + 12));
  const words: string[] = [];
  for (let i = 0; i < 16; i += 2) words.push(view.getUint16(offset + i).toString(16));
  return words.join(':');
}

/** Decodes a PCP response (RFC 6887 §7.2, §11.1) or a version mismatch answer. */
export function decodeResponse(
  bytes: Uint8Array,
): PcpMapResponse | PcpVersionMismatch | PortMappingDecodeError {
  if (bytes.length < 4) return new PortMappingDecodeError('pcp', `too short (${bytes.length} bytes)`);
  const version = bytes[0] ?? 0;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (version === 0) {
    // A NAT-PMP server: its answer header is version, opcode|128, u16 result code.
    if (bytes.length >= 4 && (bytes[1] ?? 0) >= 128 && view.getUint16(2) === 1) {
      return { version: 0, unsupportedVersion: true };
    }
    return new PortMappingDecodeError('pcp', 'NAT-PMP answer that is not UNSUPP_VERSION');
  }
  if (bytes.length < 24) return new PortMappingDecodeError('pcp', `too short (${bytes.length} bytes)`);
  // RFC 6887 §8.3: the client MUST silently ignore messages longer than 1100 bytes or not a multiple of 4.
  if (bytes.length > PCP_MAX_MESSAGE) return new PortMappingDecodeError('pcp', 'longer than 1100 bytes');
  if (bytes.length % 4 !== 0) return new PortMappingDecodeError('pcp', 'length not a multiple of 4');
  const op = bytes[1] ?? 0;
  if ((op & 0x80) === 0) return new PortMappingDecodeError('pcp', 'R bit clear: a request, not a response');
  const resultCode = bytes[3] ?? 0;
  if (resultCode === 1 && version !== PCP_VERSION) return { version, unsupportedVersion: true };
  if (version !== PCP_VERSION) return new PortMappingDecodeError('pcp', `version ${version}`);
  const opcode = op & 0x7f;
  const lifetime = view.getUint32(4);
  const epoch = view.getUint32(8);
  let map: PcpMapResponse['map'];
  if (opcode === PcpOpcode.Map && bytes.length >= 60) {
    const proto = bytes[36] ?? 0;
    map = {
      nonce: bytes.slice(24, 36),
      protocol: proto === IPPROTO_UDP ? 'udp' : proto === IPPROTO_TCP ? 'tcp' : proto,
      internalPort: view.getUint16(40),
      externalPort: view.getUint16(42),
      externalAddress: readAddress(bytes, 44),
    };
  } else if (opcode === PcpOpcode.Map && resultCode === 0) {
    return new PortMappingDecodeError('pcp', 'successful MAP answer without the 36-byte MAP body');
  }
  return { version: PCP_VERSION, opcode, resultCode, lifetime, epoch, map };
}
