export { type Coturn, type CoturnOptions, type StartCoturnOptions, startCoturn } from './coturn.js';
export { DEFAULT_STUN_NAMES, type DnsInfo, type DnsOptions } from './dns.js';
export type { Impairment } from './impairment.js';
export {
  type CarrierOptions,
  type CoturnInfo,
  createLab,
  GOOGLE_ADDRESSES,
  GOOGLE_ADDRESSES6,
  type IpFamily,
  type Lab,
  type LabCarrier,
  type LabHost,
  type LabLan,
  type LabOptions,
  type LabRouter,
  type RouterOptions,
  SERVER_ADDRESSES,
  SERVER_ADDRESSES6,
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
