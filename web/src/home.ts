// Home page: display name + meeting id, or start a new meeting.
import { MEETING_ID_PATTERN } from './api';
import { meetingIdFromInput } from './invite/link';
import { displayNameProblem, randomMeetingId, saveDisplayName, savedDisplayName } from './settings';
import { el, icons } from './ui/icons';

export function renderHome(root: HTMLElement, navigate: (path: string) => void): () => void {
  const page = el('main', 'home');
  const brand = el('div', 'brand');
  brand.innerHTML = `<span class="brand-mark">${icons.camera}</span><span>videocall</span>`;
  const card = el('form', 'card home-card');
  card.noValidate = true;
  const title = el('h1', 'home-title', 'Meet with anyone, right in the browser');
  const subtitle = el('p', 'home-subtitle', 'Enter your name and a meeting ID, or start a new meeting.');

  const nameField = el('label', 'field');
  nameField.append(el('span', 'field-label', 'Your name'));
  const nameInput = el('input', 'input');
  nameInput.name = 'display-name';
  nameInput.dataset.testid = 'name-input';
  nameInput.autocomplete = 'name';
  nameInput.maxLength = 64;
  nameInput.placeholder = 'e.g. Ada Lovelace';
  nameInput.value = savedDisplayName();
  nameField.append(nameInput);

  const meetingField = el('label', 'field');
  meetingField.append(el('span', 'field-label', 'Meeting ID or link'));
  const meetingInput = el('input', 'input');
  meetingInput.name = 'meeting-id';
  meetingInput.dataset.testid = 'meeting-input';
  meetingInput.placeholder = 'e.g. team-standup, or paste a link';
  meetingInput.maxLength = 2048; // a pasted link is longer than an ID; it becomes the ID below
  // A pasted meeting link shows as the ID it names, so what will be joined is plain to see.
  meetingInput.addEventListener('input', () => {
    const id = meetingIdFromInput(meetingInput.value);
    if (id !== meetingInput.value.trim() && MEETING_ID_PATTERN.test(id)) meetingInput.value = id;
  });
  meetingField.append(meetingInput);

  const problem = el('p', 'form-error');
  problem.setAttribute('role', 'alert');
  const actions = el('div', 'home-actions');
  const joinButton = el('button', 'btn btn-primary', 'Join');
  joinButton.type = 'submit';
  joinButton.dataset.testid = 'join-button';
  const newButton = el('button', 'btn', 'New meeting');
  newButton.type = 'button';
  newButton.dataset.testid = 'new-meeting-button';
  actions.append(joinButton, newButton);
  card.append(title, subtitle, nameField, meetingField, problem, actions);
  page.append(brand, card);
  root.replaceChildren(page);
  (nameInput.value ? meetingInput : nameInput).focus();

  const go = (meetingId: string) => {
    const name = nameInput.value.trim();
    const nameProblem = displayNameProblem(name);
    if (nameProblem) {
      problem.textContent = nameProblem;
      nameInput.focus();
      return;
    }
    if (!meetingId) {
      problem.textContent = 'Enter a meeting ID, or start a new meeting.';
      meetingInput.focus();
      return;
    }
    if (!MEETING_ID_PATTERN.test(meetingId)) {
      problem.textContent = 'Meeting IDs use letters, digits, "-" and "_" (up to 64).';
      meetingInput.focus();
      return;
    }
    saveDisplayName(name);
    navigate(`/meeting/${encodeURIComponent(meetingId)}${window.location.search}`);
  };
  card.addEventListener('submit', (event) => {
    event.preventDefault();
    go(meetingIdFromInput(meetingInput.value));
  });
  newButton.addEventListener('click', () => go(randomMeetingId()));
  return () => {};
}
