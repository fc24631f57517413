export { AddressPolicy, checkedAddress } from './addresses.js';
export { DEVELOPMENT_EGRESS_ALLOW, type EgressConfig, parseEgressAllow, readEgress } from './config.js';
export { EGRESS_REFUSED, EgressGuard, EgressRefusedError } from './guard.js';
export { profileAllows, profileRefusal } from './profile-origins.js';
