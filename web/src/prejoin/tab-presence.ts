// Warns when this meeting is already open and joined in another tab of the same browser: two tabs
// would be two participants with echo between them. Tabs talk over a BroadcastChannel per meeting.

type PresenceMessage = { type: 'who-is-in' } | { type: 'in-call' } | { type: 'left' };

export class TabPresence {
  private readonly channel: BroadcastChannel | null;
  private inCall = false;

  /** `onOtherTab(true)`: another tab is in this meeting now; false: it left. */
  constructor(meetingId: string, private readonly onOtherTab: (inCall: boolean) => void = () => {}) {
    this.channel = typeof BroadcastChannel === 'undefined' ? null : new BroadcastChannel(`videocall.meeting.${meetingId}`);
    if (!this.channel) return;
    this.channel.onmessage = (event: MessageEvent<PresenceMessage>) => {
      if (event.data?.type === 'who-is-in' && this.inCall) this.post({ type: 'in-call' });
      else if (event.data?.type === 'in-call') this.onOtherTab(true);
      else if (event.data?.type === 'left') {
        this.onOtherTab(false);
        this.post({ type: 'who-is-in' }); // a third tab may still be in: it answers
      }
    };
    this.post({ type: 'who-is-in' });
  }

  /** This tab joined (answers other tabs' questions from now on) or left the call. */
  setInCall(inCall: boolean): void {
    if (this.inCall === inCall) return;
    this.inCall = inCall;
    this.post({ type: inCall ? 'in-call' : 'left' });
  }

  close(): void {
    this.setInCall(false);
    this.channel?.close();
  }

  private post(message: PresenceMessage): void {
    this.channel?.postMessage(message);
  }
}
