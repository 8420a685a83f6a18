export {
  PseudoTcp,
  type PseudoTcpCloseReason,
  type PseudoTcpEvent,
  type PseudoTcpOptions,
  type PseudoTcpState,
  type PseudoTcpStats,
} from './core/pseudotcp.js';
export {
  createPseudoTcpStream,
  PseudoTcpError,
  PseudoTcpStream,
  type PseudoTcpStreamOptions,
} from './node/stream.js';
export { type DatagramTransport, type UdpTransportOptions, udpTransport } from './node/transport.js';
