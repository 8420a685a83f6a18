export { type Coturn, type CoturnOptions, type StartCoturnOptions, startCoturn } from './coturn.js';
export type { Impairment } from './impairment.js';
export {
  type CoturnInfo,
  createLab,
  type Lab,
  type LabHost,
  type LabOptions,
  type LabRouter,
  type RouterOptions,
} from './lab.js';
export { createImpairedLink, type ImpairedLink, type ImpairedLinkOptions, type LinkSide } from './link.js';
export { NAT_TYPES, type NatType } from './nat.js';
export { cleanupStale } from './netns.js';
export { checkPrerequisites, type PrerequisiteCheck, type Prerequisites } from './prerequisites.js';
export type { ExecOptions, ExecResult } from './sh.js';
export {
  startUdpRelay,
  type UdpEndpoint,
  type UdpRelay,
  type UdpRelayOptions,
  type UdpRelayStats,
} from './udpRelay.js';
