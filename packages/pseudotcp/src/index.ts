export * from './core.js';
export { type NativeBatchSend, nativeBatchSend } from './node/batch-send.js';
export {
  createPseudoTcpStream,
  PseudoTcpError,
  type PseudoTcpErrorCode,
  PseudoTcpStream,
  type PseudoTcpStreamEvents,
  type PseudoTcpStreamOptions,
} from './node/stream.js';
export {
  type DatagramTransport,
  DEFAULT_SOCKET_BUFFER_BYTES,
  enlargeSocketBuffers,
  type UdpTransport,
  type UdpTransportOptions,
  udpTransport,
} from './node/transport.js';
