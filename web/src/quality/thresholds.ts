// Tuning constants of the connection-quality indicator and the connection details panel. One place,
// so the thresholds the judge uses, the tests check and the panel explains never drift apart.

/** How often the monitor samples the counters (and so the resolution of the graphs). */
export const QUALITY_SAMPLE_MS = 1000;
/** Samples the graphs keep: the last 60 s at one sample a second. */
export const QUALITY_HISTORY_SAMPLES = 60;
/** Window (in samples) over which loss, frame rate and freezes are judged. */
export const QUALITY_WINDOW_SAMPLES = 5;

/**
 * Round-trip time to the server (ms) at which the link is fair, and poor: a 150 ms one-way delay is
 * where talking over each other starts (ITU-T G.114). The pre-join check uses the same numbers.
 */
export const RTT_FAIR_MS = 150;
export const RTT_POOR_MS = 300;
/** Share of audio packets missing (0..1) at which the link is fair, and poor. */
export const LOSS_FAIR = 0.02;
export const LOSS_POOR = 0.08;
/** Frames per second as a share of the expected rate below which video is fair, and poor. */
export const FPS_FAIR_RATIO = 0.6;
export const FPS_POOR_RATIO = 0.3;
/** Video freezes within the judging window at which video is fair, and poor. */
export const FREEZES_FAIR = 1;
export const FREEZES_POOR = 3;

/**
 * Hysteresis. A worse level is shown after QUALITY_DEGRADE_SAMPLES samples in a row say so (one
 * spike does not flip it); a better one only after QUALITY_RECOVER_SAMPLES samples in a row clear
 * the thresholds by QUALITY_RECOVER_MARGIN (e.g. 0.8: the RTT must fall below 200 ms to leave
 * "fair"), so the indicator does not flicker around a threshold.
 */
export const QUALITY_DEGRADE_SAMPLES = 2;
export const QUALITY_RECOVER_SAMPLES = 5;
export const QUALITY_RECOVER_MARGIN = 0.8;

/**
 * Freeze: the gap between two drawn frames exceeds max(3 x the average frame interval, the average
 * plus 150 ms) (the definition WebRTC's freeze counter uses). Gaps over FREEZE_PAUSE_MS are a pause
 * (camera off, tile off screen, sender idle), not a freeze.
 */
export const FREEZE_INTERVAL_FACTOR = 3;
export const FREEZE_EXTRA_MS = 150;
export const FREEZE_PAUSE_MS = 5000;
/** Sequence gaps longer than this many packets are a pause (muted, not forwarded), not loss. */
export const LOSS_MAX_GAP_PACKETS = 50;

/** Frame rate the camera is captured and sent at (the expected rate for the fps judgment). */
export const CAMERA_FRAME_RATE = 30;
