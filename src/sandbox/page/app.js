import { renderBlocks, renderMrkdwn, slackTime } from '/blocks.js';

// The sandbox page: state comes from GET /api/state, refreshed on every server-sent "change";
// every action is a POST that the sandbox server turns into the signed request Slack would send.
// It behaves like Slack where a person would notice: a form keeps what was typed when the bot
// refuses it, closes on Cancel and Escape and belongs to whoever opened it; focus stays where it
// was when messages arrive; an answer only the person sees stays where they acted.

const ui = {
  person: document.querySelector('#person'),
  home: document.querySelector('#home-button'),
  channels: document.querySelector('#channels'),
  channelTitle: document.querySelector('#channel-title'),
  messages: document.querySelector('#messages'),
  thread: document.querySelector('#thread'),
  threadEmpty: document.querySelector('#thread-empty'),
  threadForm: document.querySelector('#thread-form'),
  threadInput: document.querySelector('#thread-input'),
  commandForm: document.querySelector('#command-form'),
  commandInput: document.querySelector('#command-input'),
  xTimeline: document.querySelector('#x-timeline'),
  log: document.querySelector('#log'),
  logFilter: document.querySelector('#log-filter'),
  modalRoot: document.querySelector('#modal-root'),
  errorBanner: document.querySelector('#error-banner'),
  announcer: document.querySelector('#announcer'),
};

let state = null;
/** A channel ID, or 'home' for the app's Home tab. */
let currentChannel = null;
let openThread = null; // { channel, ts }
let currentTab = 'thread';
/** What the open form was drawn from; null forces a redraw (after "You are" changes). */
let renderedModalKey = null;
/** After the person sends something, follow the conversation to its newest message once. */
const followNext = { channel: false, thread: false };
/** The message a person last acted on, and when: their answers (ephemerals) are shown under it; a reply form's Send opens its thread. */
let lastActedOn = null; // { channel, ts, threadTs, at }
/** Ephemeral answer ts → the message it answers (placed right under it, as the person acted there). */
const anchors = new Map();
/** Top-level messages already seen, per channel: what is new is announced to screen readers. */
const seen = new Map();

async function api(path, body) {
  const response = await fetch(path, {
    method: body ? 'POST' : 'GET',
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify({ userId: ui.person.value, ...body }) : undefined,
  });
  const json = await response.json();
  if (!response.ok) showError(json.error ?? `HTTP ${response.status}`);
  else if (json.status && json.status >= 400) showError(`The bot answered ${json.status}: ${json.body}`);
  return json;
}

function showError(text) {
  ui.errorBanner.textContent = text;
  ui.errorBanner.hidden = false;
  setTimeout(() => {
    ui.errorBanner.hidden = true;
  }, 6000);
}

const nameOf = (id) => state?.names?.[id] ?? id;

function messageElement(message, { inThread = false } = {}) {
  const el = document.createElement('div');
  el.className = `message${message.ephemeralTo ? ' ephemeral' : ''}`;
  el.dataset.ts = message.ts;
  const head = document.createElement('div');
  const author = document.createElement('span');
  author.className = 'author';
  // An answer only the person sees comes from the app, as in Slack.
  author.textContent = message.bot_id || message.ephemeralTo ? 'Switchboard' : nameOf(message.user ?? '');
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = ` ${slackTime(new Date(Number(message.ts) * 1000))}`;
  head.append(author, meta);
  if (message.edited) {
    const edited = document.createElement('span');
    edited.className = 'edited';
    edited.textContent = ' (edited)';
    head.append(edited);
  }
  el.append(head);
  if (message.ephemeralTo) {
    const only = document.createElement('div');
    only.className = 'only-you';
    only.textContent = 'Only visible to you';
    el.append(only);
  }
  const onAction = (element, extra = {}) => {
    // Acting on a message in the thread panel (its parent included) answers in the thread.
    const threadTs = message.thread_ts ?? (inThread ? message.ts : '');
    lastActedOn = { channel: message.channel, ts: message.ts, threadTs, at: Date.now() / 1000 };
    return api('/api/click', {
      actionId: element.action_id,
      blockId: element.block_id,
      element: element.type,
      label: extra.label ?? '',
      value: extra.value ?? element.value ?? '',
      channel: message.channel,
      messageTs: message.ts,
      threadTs,
    });
  };
  if (message.blocks?.length) el.append(renderBlocks(message.blocks, { names: state.names, onAction }));
  else if (message.text) el.append(renderMrkdwn(message.text, state.names));
  for (const file of message.files ?? []) {
    // Files uploaded by the bot (the digest chart), served from the Slack stand-in's store.
    const figure = document.createElement('figure');
    figure.className = 'file';
    const caption = document.createElement('figcaption');
    caption.textContent = file.title || file.name;
    const image = document.createElement('img');
    image.src = `/files/${encodeURIComponent(file.id)}`;
    image.alt = file.title || file.name;
    figure.append(caption, image);
    el.append(figure);
  }
  if (!inThread && !message.ephemeralTo) {
    const replies = repliesOf(message).length;
    const link = document.createElement('button');
    link.className = 'thread-link';
    link.textContent = replies ? `${replies} in thread` : 'Thread';
    link.addEventListener('click', () => openThreadOf({ channel: message.channel, ts: message.ts }));
    el.append(link);
  }
  return el;
}

function openThreadOf(where) {
  openThread = where;
  selectTab('thread');
  render();
}

function channelById(id) {
  return state.channels.find((c) => c.id === id);
}

function repliesOf(parent) {
  return channelById(parent.channel)?.messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts) ?? [];
}

function myEphemerals(channel, threadTs) {
  return state.ephemerals.filter(
    (m) => m.ephemeralTo === ui.person.value && m.channel === channel && (threadTs ? m.thread_ts === threadTs : !m.thread_ts),
  );
}

/** Each new answer of the person's goes under the message they last acted on (if it came after that). */
function anchorEphemerals() {
  for (const message of state.ephemerals) {
    if (message.ephemeralTo !== ui.person.value || anchors.has(message.ts)) continue;
    const acted = lastActedOn && lastActedOn.channel === message.channel && Number(message.ts) >= lastActedOn.at - 1 ? lastActedOn : null;
    anchors.set(message.ts, acted?.ts ?? null);
  }
}

/** Messages in time order, each of the person's answers right under the message it answers. */
function withAnswers(messages, answers) {
  const anchored = new Map(); // message ts → its answers
  const loose = [];
  for (const answer of answers) {
    const to = anchors.get(answer.ts);
    if (to && messages.some((m) => m.ts === to)) anchored.set(to, [...(anchored.get(to) ?? []), answer]);
    else loose.push(answer);
  }
  const timeline = [...messages, ...loose].sort((a, b) => Number(a.ts) - Number(b.ts));
  return timeline.flatMap((m) => [m, ...(anchored.get(m.ts) ?? [])]);
}

function renderChannels() {
  ui.home.classList.toggle('active', currentChannel === 'home');
  ui.home.setAttribute('aria-current', currentChannel === 'home' ? 'page' : 'false');
  ui.channels.replaceChildren(
    ...state.channels.map((channel) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.className = channel.id === currentChannel ? 'active' : '';
      button.setAttribute('aria-current', channel.id === currentChannel ? 'page' : 'false');
      const top = channel.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts).length;
      button.textContent = `# ${channel.name}`;
      const count = document.createElement('span');
      count.className = 'count';
      count.textContent = top ? String(top) : '';
      button.append(count);
      button.addEventListener('click', () => {
        currentChannel = channel.id;
        render();
      });
      li.append(button);
      return li;
    }),
  );
}

function keepScroll(container, build, follow = false) {
  const atBottom = container.scrollHeight - container.scrollTop - container.clientHeight < 40;
  const top = container.scrollTop;
  build();
  container.scrollTop = atBottom || follow ? container.scrollHeight : top;
}

function renderHome() {
  ui.channelTitle.textContent = 'Switchboard · Home';
  const view = state.home;
  const onAction = (element, extra = {}) =>
    api('/api/home-click', { actionId: element.action_id, blockId: element.block_id, value: extra.value ?? element.value ?? '' });
  const content = view?.blocks?.length
    ? renderBlocks(view.blocks, { names: state.names, onAction })
    : Object.assign(document.createElement('p'), { className: 'muted', textContent: 'Opening your inbox…' });
  ui.messages.replaceChildren(content);
}

function renderChannel() {
  if (currentChannel === 'home') return renderHome();
  const channel = channelById(currentChannel);
  ui.channelTitle.textContent = `# ${channel.name}`;
  const top = channel.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  announceNew(channel, top);
  const items = withAnswers(top, myEphemerals(channel.id));
  keepScroll(ui.messages, () => ui.messages.replaceChildren(...items.map((m) => messageElement(m))), followNext.channel);
}

/** New messages in the channel on screen, said politely (a screen reader finishes what it is reading first). */
function announceNew(channel, top) {
  const known = seen.get(channel.id);
  const fresh = known ? top.filter((m) => !known.has(m.ts)) : [];
  seen.set(channel.id, new Set(top.map((m) => m.ts)));
  if (fresh.length === 0) return;
  const last = fresh.at(-1);
  ui.announcer.textContent =
    fresh.length === 1
      ? `New message in #${channel.name}: ${last.text ?? ''}`.slice(0, 200)
      : `${fresh.length} new messages in #${channel.name}`;
}

function renderThread() {
  if (!openThread) return;
  const channel = channelById(openThread.channel);
  const parent = channel?.messages.find((m) => m.ts === openThread.ts);
  if (!parent) return;
  ui.threadEmpty.hidden = true;
  ui.threadForm.hidden = false;
  // In a private conversation's thread, `reply:` answers privately.
  const isPrivate = parent.metadata?.event_type === 'switchboard_conversation';
  ui.threadInput.placeholder = isPrivate ? 'Internal note, or reply: to answer privately' : 'Internal note, or reply: to answer publicly';
  const items = withAnswers(repliesOf(parent), myEphemerals(channel.id, parent.ts));
  keepScroll(
    ui.thread,
    () => ui.thread.replaceChildren(messageElement(parent, { inThread: true }), ...items.map((m) => messageElement(m, { inThread: true }))),
    followNext.thread,
  );
}

const NETWORK = { x: '𝕏 X', mastodon: '🐘 Mastodon', bluesky: '🦋 Bluesky', facebook: '📘 Facebook', instagram: '📸 Instagram' };

function renderX() {
  const { posts } = state.networks;
  ui.xTimeline.replaceChildren(
    ...posts.map((post) => {
      const el = document.createElement('div');
      el.className = `tweet ${post.network}${post.isBrand ? ' brand' : ''}${post.isPrivate ? ' private' : ''}`;
      el.dataset.id = post.id;
      const who = document.createElement('div');
      const badge = document.createElement('span');
      badge.className = 'network';
      badge.textContent = NETWORK[post.network];
      const name = document.createElement('strong');
      name.textContent = ` ${post.name}`;
      const handle = document.createElement('span');
      handle.className = 'handle';
      handle.textContent = ` @${post.handle} · ${slackTime(new Date(post.createdAt))}`;
      who.append(badge, name, handle);
      if (post.isPrivate) {
        const lock = document.createElement('span');
        lock.className = 'private-badge';
        lock.textContent = ' ✉ private message';
        who.append(lock);
      }
      const text = document.createElement('div');
      text.textContent = post.text;
      el.append(who, text);
      if (post.inReplyTo) {
        const reply = document.createElement('div');
        reply.className = 'handle';
        reply.textContent = `↳ reply to ${post.inReplyTo}`;
        el.append(reply);
      }
      if (post.liked) {
        const liked = document.createElement('div');
        liked.className = 'liked';
        liked.textContent = `♥ liked by ${state.networks.brands[post.network] ?? 'the brand'}`;
        el.append(liked);
      }
      return el;
    }),
  );
}

const LOG_SOURCES = {
  page: (entry) => entry.direction === 'page → bot',
  slack: (entry) => entry.direction === 'bot → slack',
  network: (entry) => entry.direction !== 'page → bot' && entry.direction !== 'bot → slack',
  all: () => true,
};
/** Log entries drawn, by ID: new ones are added on top, and what a person opened is never redrawn. */
const logElements = new Map();

function renderLog() {
  const present = new Set(state.log.map((entry) => entry.id));
  for (const [id, element] of logElements) {
    if (!present.has(id)) {
      element.remove();
      logElements.delete(id);
    }
  }
  const show = LOG_SOURCES[ui.logFilter.value] ?? LOG_SOURCES.all;
  for (const entry of state.log) {
    let details = logElements.get(entry.id);
    if (!details) {
      details = document.createElement('details');
      details.className = 'log-entry';
      const summary = document.createElement('summary');
      const dir = document.createElement('span');
      dir.className = 'dir';
      dir.textContent = entry.direction;
      const status = document.createElement('span');
      status.className = entry.status >= 400 || entry.status === 0 ? 'status-bad' : '';
      status.textContent = ` ${entry.status} `;
      summary.append(dir, status, `${entry.summary} · ${slackTime(new Date(entry.at))}`);
      const pre = document.createElement('pre');
      pre.textContent = JSON.stringify(entry.detail, null, 2);
      details.append(summary, pre);
      logElements.set(entry.id, details);
      ui.log.prepend(details); // newest on top
    }
    details.hidden = !show(entry);
  }
}

/** What the person typed in the open form, by field: kept when the form is drawn again (an error beside a field). */
function formValues(root) {
  const values = new Map();
  for (const input of root.querySelectorAll('textarea, input[type="text"], input:not([type])')) {
    if (input.dataset.actionId) values.set(input.dataset.actionId, input.value);
  }
  return values;
}

function closeModal(viewId) {
  renderedModalKey = null;
  ui.modalRoot.replaceChildren();
  return api('/api/close', { viewId });
}

function renderModal() {
  const view = state.views.filter((v) => v.user === ui.person.value).at(-1);
  const key = view ? `${view.id}:${view.hash}:${JSON.stringify(view.errors ?? {})}` : '';
  if (key === renderedModalKey) return; // do not wipe what the person is typing
  const previous = ui.modalRoot.querySelector('.modal');
  const typed = previous && previous.dataset.viewId === view?.id ? formValues(previous) : new Map();
  renderedModalKey = key;
  if (!view) {
    ui.modalRoot.replaceChildren();
    return;
  }
  const backdrop = document.createElement('div');
  backdrop.className = 'modal-backdrop';
  const modal = document.createElement('div');
  modal.className = 'modal';
  modal.dataset.viewId = view.id;
  modal.setAttribute('role', 'dialog');
  modal.setAttribute('aria-modal', 'true');
  modal.setAttribute('aria-labelledby', 'modal-title');
  const header = document.createElement('header');
  header.id = 'modal-title';
  header.textContent = view.view.title?.text ?? '';
  const body = document.createElement('div');
  body.className = 'body';
  body.append(
    renderBlocks(view.view.blocks, {
      names: state.names,
      errors: view.errors ?? {},
      onAction: (element, extra = {}) =>
        api('/api/select', {
          viewId: view.id,
          actionId: element.action_id,
          blockId: element.block_id,
          value: extra.value ?? element.value ?? '',
        }),
      onSuggest: async (element, blockId, value) => {
        const answer = await api('/api/suggest', { viewId: view.id, actionId: element.action_id, blockId, value });
        try {
          return JSON.parse(answer.body).options ?? [];
        } catch {
          return [];
        }
      },
    }),
  );
  // A refused submission comes back with its errors: what was typed stays, as in Slack.
  for (const input of body.querySelectorAll('[data-action-id]')) {
    if (typed.has(input.dataset.actionId) && 'value' in input) input.value = typed.get(input.dataset.actionId);
  }
  const footer = document.createElement('footer');
  const close = document.createElement('button');
  close.className = 'bk';
  close.textContent = view.view.close?.text ?? 'Cancel';
  close.addEventListener('click', () => closeModal(view.id));
  const submit = document.createElement('button');
  submit.className = 'bk primary';
  submit.textContent = view.view.submit?.text ?? 'Submit';
  submit.addEventListener('click', async () => {
    const values = {};
    // Selects submit their chosen option's value, checkboxes and multi-selects the list of what is
    // chosen, text inputs their text.
    for (const input of body.querySelectorAll('[data-action-id]')) {
      if (input.dataset.list === 'true') {
        const chosen = input.tagName === 'SELECT' ? [...input.selectedOptions] : [...input.querySelectorAll('input:checked')];
        values[input.dataset.actionId] = chosen.map((option) => option.value);
      } else values[input.dataset.actionId] = input.dataset.value ?? input.value;
    }
    submit.disabled = true; // as Slack does while a submission is on its way
    const answer = await api('/api/submit', { viewId: view.id, values: JSON.stringify(values) });
    submit.disabled = false;
    const accepted = answer.status === 200 && !(answer.body ?? '').includes('"response_action":"errors"');
    // A reply form that went through: its thread opens, where the Undo announcement appears.
    if (accepted && view.view.callback_id === 'reply_modal' && lastActedOn) {
      openThreadOf({ channel: lastActedOn.channel, ts: lastActedOn.threadTs || lastActedOn.ts });
    }
  });
  footer.append(close, submit);
  modal.append(header, body, footer);
  // A dialog: Escape closes it, Tab stays inside it.
  modal.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') {
      event.preventDefault();
      closeModal(view.id);
      return;
    }
    if (event.key !== 'Tab') return;
    const focusable = [...modal.querySelectorAll('button, input, textarea, select, [tabindex]:not([tabindex="-1"])')].filter(
      (el) => !el.disabled,
    );
    const first = focusable[0];
    const last = focusable.at(-1);
    if (event.shiftKey && document.activeElement === first) {
      event.preventDefault();
      last?.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first?.focus();
    }
  });
  backdrop.append(modal);
  ui.modalRoot.replaceChildren(backdrop);
  const firstError = body.querySelector('.error');
  (
    firstError?.closest('.block-input')?.querySelector('textarea, input, select') ??
    body.querySelector('textarea, input, select') ??
    submit
  ).focus();
}

/** Where focus is, in words that survive a redraw: the message (by ts) and the control's place in it. */
function focusSpot() {
  const active = document.activeElement;
  const message = active?.closest?.('.message');
  if (!message || !active.matches('button, select, input, a')) return null;
  const pane = message.closest('#messages') ? '#messages' : message.closest('#thread') ? '#thread' : null;
  if (!pane) return null;
  const controls = [...message.querySelectorAll('button, select, input, a')];
  return { pane, ts: message.dataset.ts, index: controls.indexOf(active) };
}

function restoreFocus(spot) {
  if (!spot) return;
  const message = document.querySelector(`${spot.pane} .message[data-ts="${CSS.escape(spot.ts)}"]`);
  const control = message ? [...message.querySelectorAll('button, select, input, a')][spot.index] : null;
  control?.focus({ preventScroll: true });
}

function render() {
  if (!state) return;
  currentChannel ??= state.channels.find((c) => c.messages.length)?.id ?? state.channels[0].id;
  const spot = focusSpot();
  anchorEphemerals();
  renderChannels();
  renderChannel();
  renderThread();
  renderX();
  renderLog();
  renderModal();
  if (!ui.modalRoot.querySelector('.modal')) restoreFocus(spot);
}

function selectTab(name) {
  currentTab = name;
  for (const button of document.querySelectorAll('.tabs button')) {
    button.classList.toggle('active', button.dataset.tab === name);
    button.setAttribute('aria-selected', String(button.dataset.tab === name));
  }
  for (const tab of ['thread', 'x', 'log']) document.querySelector(`#tab-${tab}`).hidden = tab !== currentTab;
}

async function refresh() {
  state = await (await fetch(`/api/state?person=${encodeURIComponent(ui.person.value)}`)).json();
  if (!ui.person.options.length) {
    for (const person of state.people) ui.person.append(new Option(person.realName, person.id));
    state = await (await fetch(`/api/state?person=${encodeURIComponent(ui.person.value)}`)).json();
  }
  render();
}

for (const button of document.querySelectorAll('.tabs button')) button.addEventListener('click', () => selectTab(button.dataset.tab));
ui.person.addEventListener('change', async () => {
  // Forms belong to whoever opened them: the other person's form goes, this person's (if any) comes back.
  renderedModalKey = null;
  await refresh();
  if (currentChannel === 'home') await api('/api/home', {});
});
ui.home.addEventListener('click', async () => {
  currentChannel = 'home';
  render();
  await api('/api/home', {});
});
ui.logFilter.addEventListener('change', () => renderLog());
ui.commandForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = ui.commandInput.value.trim().replace(/^\/crm\s*/, '');
  ui.commandInput.value = '';
  lastActedOn = null;
  await api('/api/command', { text, channel: currentChannel === 'home' ? state.channels[0].id : currentChannel });
  followNext.channel = true;
  await refresh();
  followNext.channel = false;
});
ui.threadForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = ui.threadInput.value.trim();
  if (!text || !openThread) return;
  ui.threadInput.value = '';
  await api('/api/thread', { channel: openThread.channel, threadTs: openThread.ts, text });
  followNext.thread = true;
  await refresh();
  followNext.thread = false;
});
const customerForm = () => ({
  network: document.querySelector('#mention-network').value,
  username: document.querySelector('#mention-handle').value,
  name: document.querySelector('#mention-name').value,
  text: document.querySelector('#mention-text').value,
});
document.querySelector('#mention-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  await api('/api/mention', customerForm());
});
// The same customer, privately: an X DM, a Bluesky chat message, a Mastodon direct status, a Messenger or Instagram message.
document.querySelector('#dm-submit').addEventListener('click', async () => {
  await api('/api/dm', customerForm());
});
// A viral moment: 120 mentions at once, a known customer's complaint among them.
document.querySelector('#surge-submit').addEventListener('click', async () => {
  await api('/api/surge', {});
});

let pending = null;
const events = new EventSource('/api/events');
events.addEventListener('change', () => {
  clearTimeout(pending);
  pending = setTimeout(refresh, 30);
});
window.addEventListener('error', (event) => showError(`Page error: ${event.message}`));
await refresh();
