export {
  PseudoTcp,
  type PseudoTcpCloseReason,
  type PseudoTcpEvent,
  type PseudoTcpOptions,
  type PseudoTcpState,
  type PseudoTcpStats,
} from './core/pseudotcp.js';
