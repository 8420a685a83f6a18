// STUN message codec (issue 2)
export * from './codec/index.js';
