// Asks for a display name before joining (when none is saved or the saved one is not valid).
import { displayNameProblem, saveDisplayName } from '../settings';
import { el } from '../ui/icons';

export function askName(root: HTMLElement, meetingId: string, join: (name: string) => void): void {
  const page = el('main', 'home');
  const form = el('form', 'card home-card');
  form.noValidate = true;
  form.append(el('h1', 'home-title', 'What is your name?'), el('p', 'home-subtitle', `Joining meeting “${meetingId}”`));
  const input = el('input', 'input');
  input.dataset.testid = 'name-input';
  input.placeholder = 'Your name';
  input.maxLength = 64;
  const problem = el('p', 'form-error');
  const button = el('button', 'btn btn-primary', 'Join meeting');
  button.type = 'submit';
  button.dataset.testid = 'join-button';
  form.append(input, problem, button);
  page.append(form);
  root.replaceChildren(page);
  input.focus();
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const issue = displayNameProblem(input.value);
    if (issue) {
      problem.textContent = issue;
      return;
    }
    saveDisplayName(input.value.trim());
    join(input.value.trim());
  });
}
