// One copy, in @p2pcat/stun (issue 16): the ICE modules keep importing it from here.
export { abortError } from '@p2pcat/stun/core';
