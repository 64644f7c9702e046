// What this browser can do for a call, found by feature detection (never by browser name), and
// what it means for the user: an essential piece missing becomes a plain "This browser cannot …"
// sentence on the pre-join screen and in the call; an optional one degrades quietly (WebSocket
// instead of WebTransport, no speaker choice, no temporal layers, the capture replacement).
// assessCapabilities is pure (unit-tested in test/unit/capabilities.test.ts); probeCapabilities
// asks the browser.
import { speakerChoiceSupported } from './media/devices';
import { audioCaptureMethod, videoCaptureMethod, type CaptureMethod } from './media/track-reader';
import { Codec, VIDEO_CODEC_STRINGS } from './protocol';

/** Raw answers from the browser. */
export interface CapabilityProbe {
  /** getUserMedia exists (it needs a secure context: https or localhost). */
  getUserMedia: boolean;
  /** VideoEncoder can encode these (640x360 realtime), and with L1T3 temporal layers. */
  videoEncode: { vp9: boolean; vp8: boolean; vp9Layers: boolean; vp8Layers: boolean };
  /** VideoDecoder can decode these. */
  videoDecode: { vp9: boolean; vp8: boolean; av1: boolean; h264: boolean };
  opusEncode: boolean;
  opusDecode: boolean;
  /** How camera frames reach the encoder (track-reader.ts); null: no way at all. */
  videoCapture: CaptureMethod | null;
  /** How microphone samples reach the encoder; null: no way at all. */
  audioCapture: CaptureMethod | null;
  /** AudioWorklet, which the playout jitter buffer runs in. */
  audioWorklet: boolean;
  webTransport: boolean;
  /** AudioContext.setSinkId: the speaker can be chosen. */
  speakerChoice: boolean;
  screenShare: boolean;
}

/** One essential thing missing, in words for the user. */
export interface CapabilityProblem {
  area: 'send-video' | 'send-audio' | 'receive-video' | 'receive-audio';
  message: string;
}

export interface CapabilityReport {
  probe: CapabilityProbe;
  /** Essential pieces missing: each is shown to the user. */
  problems: CapabilityProblem[];
  /** Optional pieces missing, and how the app copes (shown where the choice would be, or nowhere). */
  degraded: string[];
  /** What the senders encode: VP9 or VP8 (both decode everywhere the app runs), or null. */
  sendCodec: 'vp9' | 'vp8' | null;
}

export const BROWSER_ADVICE = 'Use a current Chrome, Edge or Firefox.';

export function assessCapabilities(probe: CapabilityProbe): CapabilityReport {
  const problems: CapabilityProblem[] = [];
  const cannot = (area: CapabilityProblem['area'], what: string, why: string) => problems.push({ area, message: `This browser cannot ${what}: ${why}.` });

  const { videoEncode, videoDecode } = probe;
  if (!probe.getUserMedia) {
    cannot('send-video', 'use your camera or microphone', 'it only allows them on a secure (https) page');
  } else {
    if (!videoEncode.vp9 && !videoEncode.vp8) cannot('send-video', 'send video', 'it has no VP9 or VP8 video encoder (WebCodecs)');
    else if (probe.videoCapture === null) cannot('send-video', 'send video', 'it cannot read pictures from the camera');
    if (!probe.opusEncode) cannot('send-audio', 'send audio', 'it has no Opus audio encoder (WebCodecs)');
    else if (probe.audioCapture === null) cannot('send-audio', 'send audio', 'it cannot read sound from the microphone');
  }
  // Senders pick VP9 or VP8 each on their own: a receiver needs both.
  const missingDecoders = [videoDecode.vp9 ? null : 'VP9', videoDecode.vp8 ? null : 'VP8'].filter((name) => name !== null);
  if (missingDecoders.length) cannot('receive-video', "show other people's video", `it has no ${missingDecoders.join(' or ')} video decoder (WebCodecs)`);
  if (!probe.opusDecode) cannot('receive-audio', "play other people's audio", 'it has no Opus audio decoder (WebCodecs)');
  else if (!probe.audioWorklet) cannot('receive-audio', "play other people's audio", 'it has no AudioWorklet');

  const degraded: string[] = [];
  if (!probe.webTransport) degraded.push('No WebTransport: the call uses a WebSocket connection.');
  if (!probe.speakerChoice) degraded.push('No speaker choice: sound plays on the system’s default output.');
  if (!probe.screenShare) degraded.push('No screen sharing in this browser.');
  // Only native clients send AV1 (videocall-cli/-bot --codec av1); browsers send VP9 or VP8.
  if (!videoDecode.av1) degraded.push('No AV1 decoder: video from native clients that send AV1 is not shown.');
  const sendCodec = videoEncode.vp9 ? 'vp9' : videoEncode.vp8 ? 'vp8' : null;
  const layers = sendCodec === 'vp9' ? videoEncode.vp9Layers : sendCodec === 'vp8' ? videoEncode.vp8Layers : true;
  if (!layers) degraded.push('No temporal layers: receivers on slow machines skip whole frames less gracefully.');
  if (probe.videoCapture === 'element') degraded.push('Camera frames are read through a video element (no MediaStreamTrackProcessor).');
  if (probe.audioCapture === 'worklet') degraded.push('Microphone samples are read through an AudioWorklet (no MediaStreamTrackProcessor).');
  return { probe, problems, degraded, sendCodec };
}

/** The problems as one paragraph for a banner, with advice; null when there is none. */
export function problemSummary(report: CapabilityReport): string | null {
  if (report.problems.length === 0) return null;
  return `${report.problems.map((problem) => problem.message).join(' ')} ${BROWSER_ADVICE}`;
}

const PROBE_SIZE = { width: 640, height: 360 };

async function canEncodeVideo(codec: string, scalabilityMode?: string): Promise<boolean> {
  if (typeof VideoEncoder === 'undefined') return false;
  const config: VideoEncoderConfig = { codec, ...PROBE_SIZE, bitrate: 500_000, framerate: 30, latencyMode: 'realtime', ...(scalabilityMode ? { scalabilityMode } : {}) };
  return (await VideoEncoder.isConfigSupported(config).catch(() => null))?.supported === true;
}

async function canDecodeVideo(codec: string): Promise<boolean> {
  if (typeof VideoDecoder === 'undefined') return false;
  return (await VideoDecoder.isConfigSupported({ codec, codedWidth: PROBE_SIZE.width, codedHeight: PROBE_SIZE.height }).catch(() => null))?.supported === true;
}

async function canOpus(kind: 'encode' | 'decode'): Promise<boolean> {
  const config = { codec: 'opus', sampleRate: 48_000, numberOfChannels: 1 };
  if (kind === 'encode') {
    if (typeof AudioEncoder === 'undefined') return false;
    return (await AudioEncoder.isConfigSupported({ ...config, bitrate: 32_000 }).catch(() => null))?.supported === true;
  }
  if (typeof AudioDecoder === 'undefined') return false;
  return (await AudioDecoder.isConfigSupported(config).catch(() => null))?.supported === true;
}

export async function probeCapabilities(): Promise<CapabilityProbe> {
  const decode = (codec: Codec) => canDecodeVideo(VIDEO_CODEC_STRINGS[codec]!);
  const [vp9, vp8, vp9Layers, vp8Layers, dVp9, dVp8, dAv1, dH264, opusEncode, opusDecode] = await Promise.all([
    canEncodeVideo(VIDEO_CODEC_STRINGS[Codec.VP9]!),
    canEncodeVideo(VIDEO_CODEC_STRINGS[Codec.VP8]!),
    canEncodeVideo(VIDEO_CODEC_STRINGS[Codec.VP9]!, 'L1T3'),
    canEncodeVideo(VIDEO_CODEC_STRINGS[Codec.VP8]!, 'L1T3'),
    decode(Codec.VP9),
    decode(Codec.VP8),
    decode(Codec.AV1),
    decode(Codec.H264),
    canOpus('encode'),
    canOpus('decode'),
  ]);
  return {
    getUserMedia: typeof navigator.mediaDevices?.getUserMedia === 'function',
    videoEncode: { vp9, vp8, vp9Layers, vp8Layers },
    videoDecode: { vp9: dVp9, vp8: dVp8, av1: dAv1, h264: dH264 },
    opusEncode,
    opusDecode,
    videoCapture: videoCaptureMethod(),
    audioCapture: audioCaptureMethod(),
    audioWorklet: typeof AudioWorkletNode !== 'undefined',
    webTransport: typeof WebTransport !== 'undefined',
    speakerChoice: speakerChoiceSupported(),
    screenShare: typeof navigator.mediaDevices?.getDisplayMedia === 'function',
  };
}

let cached: Promise<CapabilityReport> | null = null;

/** Probed once per page load (the answers do not change). */
export function browserCapabilities(): Promise<CapabilityReport> {
  cached ??= probeCapabilities().then(assessCapabilities);
  return cached;
}
