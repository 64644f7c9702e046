// The look of an on/off device button (microphone, camera), shared by the pre-join screen and the
// meeting's control bar. The accessible name stays "Turn off <device>" and aria-pressed says whether
// that is in effect (pressed = off), so a screen reader hears one state, not a changing name; the
// tooltip says what a click does.

// `denied`: the tooltip when the room token does not allow this device (docs/PROTOCOL.md §13).
export function showToggle(
  button: HTMLButtonElement,
  on: boolean,
  available: boolean,
  onIcon: string,
  offIcon: string,
  what: string,
  denied?: string,
): void {
  button.innerHTML = on ? onIcon : offIcon;
  button.classList.toggle('off', !on);
  button.classList.toggle('not-allowed', denied !== undefined);
  button.disabled = !available || denied !== undefined;
  button.title = denied ?? (!available ? `No ${what} available` : on ? `Turn ${what} off` : `Turn ${what} on`);
  button.setAttribute('aria-label', `Turn off ${what}`);
  button.setAttribute('aria-pressed', String(!on));
}
