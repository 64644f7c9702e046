// Emoji reactions: the allowed set (the server accepts exactly these, PROTOCOL.md §12.3) and the
// floating animation over a tile, which respects prefers-reduced-motion (styles in social.css).
import { el } from '../ui/icons';

export const REACTIONS: readonly { emoji: string; label: string }[] = [
  { emoji: '\u{1F44D}', label: 'Thumbs up' },
  { emoji: '\u2764\uFE0F', label: 'Heart' },
  { emoji: '\u{1F602}', label: 'Laughing' },
  { emoji: '\u{1F62E}', label: 'Surprised' },
  { emoji: '\u{1F44F}', label: 'Applause' },
  { emoji: '\u{1F389}', label: 'Celebrate' },
];

export function isAllowedReaction(emoji: string): boolean {
  return REACTIONS.some((reaction) => reaction.emoji === emoji);
}

/** How long a reaction stays over the tile. */
export const REACTION_SHOW_MS = 3_000;
/** At most this many float over one tile at once; older ones go first. */
const MAX_FLOATING_PER_TILE = 4;

/** Shows `emoji` rising over `tile` for a few seconds (a fade in place with reduced motion). */
export function floatReaction(tile: HTMLElement, emoji: string): void {
  const floating = tile.querySelectorAll('.reaction-float');
  if (floating.length >= MAX_FLOATING_PER_TILE) floating[0].remove();
  const bubble = el('span', 'reaction-float', emoji);
  bubble.dataset.testid = 'reaction';
  bubble.setAttribute('role', 'img');
  bubble.setAttribute('aria-label', REACTIONS.find((r) => r.emoji === emoji)?.label ?? 'Reaction');
  // A little horizontal spread so bursts do not stack exactly.
  bubble.style.setProperty('--x', `${Math.round(Math.random() * 40) - 20}px`);
  tile.append(bubble);
  window.setTimeout(() => bubble.remove(), REACTION_SHOW_MS);
}
