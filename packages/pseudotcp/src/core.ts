// `@p2pcat/pseudotcp/core`: the sans-IO pseudo-TCP state machine without the Node stream and UDP
// adapters, so it loads without any `node:` builtin.

export {
  PseudoTcp,
  type PseudoTcpCloseReason,
  type PseudoTcpEvent,
  type PseudoTcpOptions,
  type PseudoTcpState,
  type PseudoTcpStats,
} from './core/pseudotcp.js';
export type { EventMap, TypedEventEmitter } from './events.js';
