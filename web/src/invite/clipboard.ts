// Copying a meeting link. The Clipboard API exists only in secure contexts (HTTPS or localhost), so
// on a plain-HTTP LAN address the old execCommand('copy') on a selected text field is the fallback;
// when even that is refused the caller shows the link selected for the person to copy by hand.

export type CopyOutcome = 'copied' | 'manual';

export async function copyText(text: string): Promise<CopyOutcome> {
  if (window.isSecureContext && navigator.clipboard?.writeText) {
    try {
      await navigator.clipboard.writeText(text);
      return 'copied';
    } catch {
      // permission refused or document not focused: try the fallback
    }
  }
  return copyWithSelection(text) ? 'copied' : 'manual';
}

function copyWithSelection(text: string): boolean {
  const field = document.createElement('textarea');
  field.value = text;
  field.setAttribute('readonly', '');
  // Off screen but focusable; a fixed position keeps the page from scrolling to it.
  field.style.position = 'fixed';
  field.style.top = '0';
  field.style.left = '-9999px';
  field.style.opacity = '0';
  const focused = document.activeElement as HTMLElement | null;
  document.body.append(field);
  field.select();
  let copied = false;
  try {
    copied = document.execCommand('copy');
  } catch {
    copied = false;
  }
  field.remove();
  focused?.focus?.();
  return copied;
}
