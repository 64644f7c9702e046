// Camera and microphone acquisition.

export interface CaptureOptions {
  /** Tests/low-power machines: turn off WebRTC echo cancellation, noise suppression and AGC (costly). */
  lowCpu: boolean;
  width: number;
  height: number;
  frameRate: number;
}

export interface Capture {
  stream: MediaStream;
  video: MediaStreamTrack | null;
  audio: MediaStreamTrack | null;
  /** Set when a device could not be opened; the call still works receive-only for that kind. */
  warning: string | null;
  stop(): void;
}

function describe(error: unknown): string {
  if (error instanceof DOMException) {
    if (error.name === 'NotAllowedError') return 'permission was denied';
    if (error.name === 'NotFoundError') return 'no device was found';
    if (error.name === 'NotReadableError') return 'the device is in use by another application';
    return `${error.name}: ${error.message}`;
  }
  return String(error);
}

export async function openCapture(options: CaptureOptions): Promise<Capture> {
  const video: MediaTrackConstraints = {
    width: { ideal: options.width },
    height: { ideal: options.height },
    frameRate: { ideal: options.frameRate },
  };
  const audio: MediaTrackConstraints = options.lowCpu
    ? { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false }
    : { channelCount: 1 };
  if (!navigator.mediaDevices?.getUserMedia) {
    return finish(new MediaStream(), 'Camera and microphone need a secure (https) page.');
  }
  try {
    return finish(await navigator.mediaDevices.getUserMedia({ video, audio }), null);
  } catch (bothError) {
    // Try each device alone so one missing/blocked device does not cost the other.
    const stream = new MediaStream();
    const problems: string[] = [];
    for (const [kind, constraints] of [['camera', { video }], ['microphone', { audio }]] as const) {
      try {
        const single = await navigator.mediaDevices.getUserMedia(constraints);
        single.getTracks().forEach((track) => stream.addTrack(track));
      } catch (error) {
        problems.push(`${kind}: ${describe(error)}`);
      }
    }
    const warning = problems.length
      ? `Could not open ${problems.join('; ')}. Others can still see and hear you only with working devices.`
      : `Could not open camera and microphone together (${describe(bothError)}).`;
    return finish(stream, warning);
  }
}

function finish(stream: MediaStream, warning: string | null): Capture {
  return {
    stream,
    video: stream.getVideoTracks()[0] ?? null,
    audio: stream.getAudioTracks()[0] ?? null,
    warning,
    stop: () => stream.getTracks().forEach((track) => track.stop()),
  };
}

/** Wall-clock now in microseconds since the Unix epoch (capture_time_us). */
export function wallClockUs(): number {
  return Math.round((performance.timeOrigin + performance.now()) * 1000);
}
