// NAT-PMP client (RFC 6886) over node:dgram.
import { GatewayResultError } from '../errors.js';
import {
  decodeResponse,
  encodeExternalAddressRequest,
  encodeMapRequest,
  NATPMP_PORT,
  NatPmpOpcode,
  natPmpResultName,
} from '../natpmp/message.js';
import { ignore, NATPMP_SCHEDULE, RequestTransaction, type RetransmitSchedule } from '../transaction.js';
import { runUdpExchange } from './udp-exchange.js';

export interface NatPmpTarget {
  gateway: string;
  /** server port, 5351 unless testing */
  port?: number;
  signal?: AbortSignal | undefined;
  schedule?: RetransmitSchedule;
}

/** RFC 6886 §3.2: the gateway's external IPv4 address. */
export async function natPmpExternalAddress(target: NatPmpTarget): Promise<string> {
  const txn = new RequestTransaction(
    encodeExternalAddressRequest(),
    (bytes) => {
      const r = decodeResponse(bytes);
      if (r instanceof Error) return ignore(r.reason);
      if (r.opcode !== NatPmpOpcode.ExternalAddress) return ignore(`opcode ${r.opcode}`);
      return r;
    },
    target.schedule ?? NATPMP_SCHEDULE,
  );
  const r = await runUdpExchange(txn, {
    host: target.gateway,
    port: target.port ?? NATPMP_PORT,
    signal: target.signal,
    what: 'NAT-PMP',
  });
  if (r.kind !== 'external-address' || r.resultCode !== 0 || r.externalAddress === undefined) {
    throw new GatewayResultError('nat-pmp', r.resultCode, natPmpResultName(r.resultCode));
  }
  return r.externalAddress;
}

export interface NatPmpMapping {
  internalPort: number;
  externalPort: number;
  /** seconds granted */
  lifetime: number;
}

/** RFC 6886 §3.3 mapping request; lifetime 0 deletes (§3.4). */
export async function natPmpMap(
  target: NatPmpTarget,
  request: { protocol: 'udp' | 'tcp'; internalPort: number; suggestedExternalPort: number; lifetime: number },
): Promise<NatPmpMapping> {
  const opcode = request.protocol === 'udp' ? NatPmpOpcode.MapUdp : NatPmpOpcode.MapTcp;
  const txn = new RequestTransaction(
    encodeMapRequest(request),
    (bytes) => {
      const r = decodeResponse(bytes);
      if (r instanceof Error) return ignore(r.reason);
      if (r.opcode !== opcode) return ignore(`opcode ${r.opcode}`);
      if (r.kind === 'mapping' && r.resultCode === 0 && r.internalPort !== request.internalPort)
        return ignore(`answer for internal port ${r.internalPort}`);
      return r;
    },
    target.schedule ?? NATPMP_SCHEDULE,
  );
  const r = await runUdpExchange(txn, {
    host: target.gateway,
    port: target.port ?? NATPMP_PORT,
    signal: target.signal,
    what: 'NAT-PMP',
  });
  if (r.kind !== 'mapping' || r.resultCode !== 0) {
    throw new GatewayResultError('nat-pmp', r.resultCode, natPmpResultName(r.resultCode));
  }
  return { internalPort: r.internalPort, externalPort: r.externalPort, lifetime: r.lifetime };
}
