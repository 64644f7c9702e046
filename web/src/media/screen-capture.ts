// Screen, window or tab capture for screen sharing (getDisplayMedia).
import { SCREEN_LIMITS } from './simulcast';

export interface ScreenCapture {
  video: MediaStreamTrack;
  /** Tab or system audio, when the browser offers it and the user ticked "share audio". */
  audio: MediaStreamTrack | null;
  frameRate: number;
  stop(): void;
}

/**
 * Opens the browser's picker. Text stays sharp when the encoder favours detail over motion, so
 * the track is hinted 'text' (the encoder gets the same hint); the capture is limited to 1080p at
 * 15 fps, the most a shared slide or document needs.
 */
export async function openScreenCapture(): Promise<ScreenCapture> {
  if (!navigator.mediaDevices?.getDisplayMedia) throw new Error('This browser cannot share the screen.');
  const options = {
    video: {
      width: { max: SCREEN_LIMITS.maxWidth },
      height: { max: SCREEN_LIMITS.maxHeight },
      frameRate: { ideal: SCREEN_LIMITS.maxFps, max: SCREEN_LIMITS.maxFps },
    },
    audio: true,
    // Chromium extensions: offer tab and system audio, let the user switch the shared tab.
    systemAudio: 'include',
    surfaceSwitching: 'include',
  } as DisplayMediaStreamOptions;
  const stream = await navigator.mediaDevices.getDisplayMedia(options);
  const video = stream.getVideoTracks()[0];
  if (!video) {
    stream.getTracks().forEach((track) => track.stop());
    throw new Error('The browser returned no screen video.');
  }
  if ('contentHint' in video) video.contentHint = 'text';
  const audio = stream.getAudioTracks()[0] ?? null;
  return {
    video,
    audio,
    frameRate: video.getSettings().frameRate || SCREEN_LIMITS.maxFps,
    stop: () => stream.getTracks().forEach((track) => track.stop()),
  };
}
