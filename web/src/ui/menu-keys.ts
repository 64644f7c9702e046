// Keyboard handling shared by the small popup menus (device menus, the host's participant menu):
// Escape or Tab closes and returns focus to the button, arrows move, Home/End jump.
export function handleMenuKey(event: KeyboardEvent, items: HTMLElement[], close: () => void): void {
  const index = items.indexOf(document.activeElement as HTMLElement);
  if (event.key === 'Escape' || event.key === 'Tab') {
    event.preventDefault();
    close();
  } else if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
    event.preventDefault();
    const step = event.key === 'ArrowDown' ? 1 : -1;
    items[(index + step + items.length) % items.length]?.focus();
  } else if (event.key === 'Home' || event.key === 'End') {
    event.preventDefault();
    items[event.key === 'Home' ? 0 : items.length - 1]?.focus();
  }
}
