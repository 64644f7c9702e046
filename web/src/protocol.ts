// Thin helpers over the generated protocol types (src/gen, produced by `npm run gen`).
import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import {
  Codec,
  type Control,
  type ControlSchema,
  EnvelopeSchema,
  type Envelope,
  MediaKind,
  type MediaHeader,
  ParticipantRole,
  ProtocolVersion,
  type SubscriptionDefaultsSchema,
} from './gen/videocall_pb';

export { Codec, MediaKind, ParticipantRole, ProtocolVersion };
export type { Control, Envelope, MediaHeader };
/** A Control oneof in its init form, e.g. `{ case: 'leave', value: {} }`. */
export type ControlMessage = NonNullable<MessageInitShape<typeof ControlSchema>['message']>;
export type HeaderFields = Omit<MediaHeader, '$typeName' | '$unknown'>;

export function encodeControl(message: ControlMessage): Uint8Array {
  return toBinary(EnvelopeSchema, create(EnvelopeSchema, { body: { case: 'control', value: { message } } }));
}

export function encodeMedia(header: Partial<HeaderFields>, payload: Uint8Array): Uint8Array {
  return toBinary(
    EnvelopeSchema,
    create(EnvelopeSchema, { body: { case: 'media', value: { header, payload } } }),
  );
}

export function decodeEnvelope(bytes: Uint8Array): Envelope {
  return fromBinary(EnvelopeSchema, bytes);
}

/** `subscriptions`: what to receive before the first UpdateSubscriptions (PROTOCOL.md §11.3). */
export function helloMessage(
  state: { micOn: boolean; cameraOn: boolean; screenOn?: boolean },
  subscriptions?: MessageInitShape<typeof SubscriptionDefaultsSchema>,
  /** End-to-end encryption (PROTOCOL.md §15): capability and the X25519 public key. */
  e2ee?: { e2eeCapable: boolean; e2eePublicKey?: Uint8Array },
): ControlMessage {
  return {
    case: 'hello',
    value: {
      protocolVersion: ProtocolVersion.PROTOCOL_VERSION_1,
      client: 'web/0.1',
      mediaState: { micOn: state.micOn, cameraOn: state.cameraOn, screenOn: state.screenOn ?? false },
      ...(subscriptions ? { subscriptions } : {}),
      ...(e2ee ?? {}),
    },
  };
}

/** WebCodecs codec strings for the video codecs we encode or can decode. */
export const VIDEO_CODEC_STRINGS: Partial<Record<Codec, string>> = {
  [Codec.VP9]: 'vp09.00.10.08',
  [Codec.VP8]: 'vp8',
  [Codec.AV1]: 'av01.0.04M.08',
  [Codec.H264]: 'avc1.42E01F',
};

/**
 * Colour space assumed for VP8/VP9 payloads. Cameras capture BT.601 limited range (smpte170m) and
 * the encoders keep it, but VP8 cannot signal it and Chromium's VP9 encoder does not, so Chromium's
 * decoder falls back to BT.709 and every colour shifts (measured: the fake camera's green drawn as
 * G=76 instead of 135). Configuring the decoder with this colour space fixes that.
 */
export const VPX_COLOR_SPACE: VideoColorSpaceInit = {
  primaries: 'smpte170m',
  transfer: 'smpte170m',
  matrix: 'smpte170m',
  fullRange: false,
};

export function codecName(codec: Codec): string {
  return Codec[codec]?.replace('CODEC_', '') ?? `codec ${codec}`;
}

/**
 * protobuf-es maps uint64 to bigint even with [jstype = JS_NUMBER] (it only honours JS_STRING), so
 * ids are converted at this boundary. Participant ids and microsecond timestamps fit in 2^53.
 */
export function toNumber(value: bigint): number {
  return Number(value);
}
