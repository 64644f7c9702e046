// Raised hands: the server stamps when each hand went up (Participant.hand_raised_at_us), which
// orders them (PROTOCOL.md §12.2). Pure: unit-tested in test/unit.

export interface HandState {
  id: number;
  /** Server time the hand went up, µs since the epoch; 0 when lowered. */
  raisedAtUs: number;
}

/** Participant ids with a raised hand, first raised first (ties: lower id first). */
export function raisedHandOrder(states: Iterable<HandState>): number[] {
  return [...states]
    .filter((state) => state.raisedAtUs > 0)
    .sort((a, b) => a.raisedAtUs - b.raisedAtUs || a.id - b.id)
    .map((state) => state.id);
}
