// "Invite others": while nobody else is in the meeting, a card above the tiles shows the link with
// a Copy button. The link is a read-only field, so it can be selected and copied by hand where
// copying is not possible.
import { el, icons } from '../ui/icons';
import { copyText } from './clipboard';
import './invite.css';

export class InviteCard {
  readonly element = el('section', 'invite-card');
  private readonly field = el('input', 'invite-link');

  constructor(link: string, private readonly notify: (message: string) => void) {
    this.element.dataset.testid = 'invite-card';
    this.element.setAttribute('aria-labelledby', 'invite-title');
    const title = el('h2', 'invite-title', 'You’re the only one here');
    title.id = 'invite-title';
    const text = el('p', 'invite-text', 'Share this link with the people you want to meet.');
    this.field.readOnly = true;
    this.field.value = link;
    this.field.dataset.testid = 'invite-link';
    this.field.setAttribute('aria-label', 'Meeting link');
    this.field.addEventListener('focus', () => this.field.select());
    const copy = el('button', 'btn btn-primary invite-copy');
    copy.type = 'button';
    copy.dataset.testid = 'invite-copy';
    copy.innerHTML = `${icons.link}<span>Copy link</span>`;
    copy.addEventListener('click', () => void copyLink(link, this.notify, this.field));
    const row = el('div', 'invite-row');
    row.append(this.field, copy);
    this.element.append(title, text, row);
  }

  setVisible(visible: boolean): void {
    this.element.hidden = !visible;
  }
}

/**
 * Copies `link` and says so in a toast. Where the browser refuses, the link field (when given) is
 * selected and the toast says how to copy it by hand.
 */
export async function copyLink(link: string, notify: (message: string) => void, field?: HTMLInputElement): Promise<void> {
  const outcome = await copyText(link);
  if (outcome === 'copied') {
    notify('Meeting link copied');
    return;
  }
  if (field) {
    field.focus();
    field.select();
    notify('Copying is blocked here: press Ctrl+C (⌘C on a Mac) to copy the selected link');
  } else {
    notify(`Copy this link: ${link}`);
  }
}
