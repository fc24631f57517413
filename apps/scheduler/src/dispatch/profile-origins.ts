// The pure origin check is shared with the consumer's record-sink profiles; it lives in #ferry/egress.
export { profileAllows, profileRefusal } from '#ferry/egress';
