// The SDP candidate-attribute form (RFC 8839 §5.1), as libnice, werift and browsers print it:
// "candidate:<foundation> <component> udp <priority> <address> <port> typ <type> [raddr <a> rport <p>]"
import { transportAddress } from './address.js';
import type { RemoteCandidateInit } from './agent.js';
import type { Candidate, CandidateType } from './candidate.js';

const TYPES = new Set<CandidateType>(['host', 'srflx', 'prflx', 'relay']);

/** Formats a candidate as an SDP candidate-attribute value (RFC 8839 §5.1), without "a=". */
export function candidateToSdp(c: Candidate): string {
  let s = `candidate:${c.foundation} ${c.component} udp ${c.priority} ${c.address.address} ${c.address.port} typ ${c.type}`;
  if (c.relatedAddress) s += ` raddr ${c.relatedAddress.address} rport ${c.relatedAddress.port}`;
  return s;
}

/** Parses one candidate line (with or without a leading "a="). Throws a one-line Error on bad input. */
export function parseCandidateSdp(line: string, streamId = 0): RemoteCandidateInit {
  const text = line
    .trim()
    .replace(/^a=/, '')
    .replace(/^candidate:/, '');
  const f = text.split(/\s+/);
  const [foundation, component, transport, priority, address, port, typ, type] = f;
  if (!foundation || !component || !transport || !priority || !address || !port || typ !== 'typ' || !type)
    throw new Error(`not an ICE candidate line: "${line}"`);
  if (transport.toLowerCase() !== 'udp') throw new Error(`only UDP candidates are supported: "${line}"`);
  if (!TYPES.has(type as CandidateType)) throw new Error(`unknown candidate type "${type}" in "${line}"`);
  const init: RemoteCandidateInit = {
    foundation,
    component: Number(component),
    priority: Number(priority),
    address: transportAddress(address, Number(port)),
    type: type as CandidateType,
    streamId,
  };
  const raddr = f.indexOf('raddr');
  const rport = f.indexOf('rport');
  if (raddr > 0 && rport > 0) {
    const a = f[raddr + 1];
    const p = f[rport + 1];
    if (a && p) init.relatedAddress = transportAddress(a, Number(p));
  }
  if (
    !Number.isInteger(init.component) ||
    !Number.isInteger(init.priority) ||
    !Number.isInteger(init.address.port)
  )
    throw new Error(`bad number in candidate line: "${line}"`);
  return init;
}
