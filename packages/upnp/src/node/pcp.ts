// PCP client (RFC 6887) MAP over node:dgram.
import { GatewayResultError, PortMappingError } from '../errors.js';
import { decodeResponse, encodeMapRequest, PCP_PORT, PcpOpcode, pcpResultName } from '../pcp/message.js';
import { ignore, PCP_SCHEDULE, RequestTransaction, type RetransmitSchedule } from '../transaction.js';
import { runUdpExchange } from './udp-exchange.js';

export interface PcpTarget {
  gateway: string;
  port?: number;
  /** our address as the server sees it */
  clientAddress: string;
  signal?: AbortSignal | undefined;
  schedule?: RetransmitSchedule;
}

export interface PcpMapping {
  externalAddress: string;
  externalPort: number;
  lifetime: number;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Sends a MAP request and waits for the matching answer. Throws GatewayResultError with kind
 * 'unsupported-version' when the server speaks only NAT-PMP (RFC 6887 §9), so that the caller
 * falls back to NAT-PMP.
 */
export async function pcpMap(
  target: PcpTarget,
  request: {
    nonce: Uint8Array;
    protocol: 'udp' | 'tcp';
    internalPort: number;
    suggestedExternalPort: number;
    suggestedExternalAddress?: string | undefined;
    lifetime: number;
  },
): Promise<PcpMapping> {
  const txn = new RequestTransaction(
    encodeMapRequest({
      ...request,
      suggestedExternalAddress: request.suggestedExternalAddress,
      clientAddress: target.clientAddress,
    }),
    (bytes) => {
      const r = decodeResponse(bytes);
      if (r instanceof Error) return ignore(r.reason);
      if ('unsupportedVersion' in r) return r;
      if (r.opcode !== PcpOpcode.Map) return ignore(`opcode ${r.opcode}`);
      // RFC 6887 §11.3: a MAP answer counts only if nonce, protocol and internal port match.
      if (r.map !== undefined) {
        if (!sameBytes(r.map.nonce, request.nonce)) return ignore('nonce mismatch');
        if (r.map.internalPort !== request.internalPort) return ignore('internal port mismatch');
      } else if (r.resultCode === 0) return ignore('MAP answer without body');
      return r;
    },
    target.schedule ?? PCP_SCHEDULE,
  );
  const r = await runUdpExchange(txn, {
    host: target.gateway,
    port: target.port ?? PCP_PORT,
    signal: target.signal,
    what: 'PCP',
  });
  if ('unsupportedVersion' in r) {
    throw new GatewayResultError('pcp', 1, `UNSUPP_VERSION (server speaks version ${r.version})`);
  }
  if (r.resultCode !== 0) throw new GatewayResultError('pcp', r.resultCode, pcpResultName(r.resultCode));
  if (r.map === undefined) throw new PortMappingError('decode', 'PCP MAP answer without body');
  return { externalAddress: r.map.externalAddress, externalPort: r.map.externalPort, lifetime: r.lifetime };
}
