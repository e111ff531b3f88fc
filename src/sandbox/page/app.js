import { renderBlocks, renderMrkdwn } from '/blocks.js';

// The sandbox page: state comes from GET /api/state, refreshed on every server-sent "change";
// every action is a POST that the sandbox server turns into the signed request Slack would send.

const ui = {
  person: document.querySelector('#person'),
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
  modalRoot: document.querySelector('#modal-root'),
  errorBanner: document.querySelector('#error-banner'),
};

let state = null;
let currentChannel = null;
let openThread = null; // { channel, ts }
let currentTab = 'thread';
let renderedModalKey = '';
/** After the person sends something, follow the conversation to its newest message once. */
const followNext = { channel: false, thread: false };

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
  author.textContent = message.bot_id ? 'Switchboard' : nameOf(message.user ?? message.ephemeralTo ?? '');
  const meta = document.createElement('span');
  meta.className = 'meta';
  meta.textContent = new Date(Number(message.ts) * 1000).toLocaleTimeString();
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
  const onAction = (element, extra = {}) =>
    api('/api/click', {
      actionId: element.action_id,
      blockId: element.block_id,
      element: element.type,
      label: extra.label ?? '',
      value: extra.value ?? element.value ?? '',
      channel: message.channel,
      messageTs: message.ts,
      threadTs: message.thread_ts ?? '',
    });
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
    link.addEventListener('click', () => {
      openThread = { channel: message.channel, ts: message.ts };
      selectTab('thread');
      render();
    });
    el.append(link);
  }
  return el;
}

function channelById(id) {
  return state.channels.find((c) => c.id === id);
}

function repliesOf(parent) {
  return channelById(parent.channel).messages.filter((m) => m.thread_ts === parent.ts && m.ts !== parent.ts);
}

function myEphemerals(channel, threadTs) {
  return state.ephemerals.filter(
    (m) => m.ephemeralTo === ui.person.value && m.channel === channel && (threadTs ? m.thread_ts === threadTs : !m.thread_ts),
  );
}

function renderChannels() {
  ui.channels.replaceChildren(
    ...state.channels.map((channel) => {
      const li = document.createElement('li');
      const button = document.createElement('button');
      button.className = channel.id === currentChannel ? 'active' : '';
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

function renderChannel() {
  const channel = channelById(currentChannel);
  ui.channelTitle.textContent = `# ${channel.name}`;
  const top = channel.messages.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  const items = [...top, ...myEphemerals(channel.id)].sort((a, b) => Number(a.ts) - Number(b.ts));
  keepScroll(ui.messages, () => ui.messages.replaceChildren(...items.map((m) => messageElement(m))), followNext.channel);
}

function renderThread() {
  if (!openThread) return;
  const channel = channelById(openThread.channel);
  const parent = channel.messages.find((m) => m.ts === openThread.ts);
  if (!parent) return;
  ui.threadEmpty.hidden = true;
  ui.threadForm.hidden = false;
  // In a private conversation's thread, `reply:` answers privately.
  const isPrivate = parent.metadata?.event_type === 'switchboard_conversation';
  ui.threadInput.placeholder = isPrivate ? 'Internal note, or reply: to answer privately' : 'Internal note, or reply: to answer publicly';
  const items = [...repliesOf(parent), ...myEphemerals(channel.id, parent.ts)].sort((a, b) => Number(a.ts) - Number(b.ts));
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
      handle.textContent = ` @${post.handle} · ${new Date(post.createdAt).toLocaleTimeString()}`;
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

function renderLog() {
  ui.log.replaceChildren(
    ...[...state.log].reverse().map((entry) => {
      const details = document.createElement('details');
      details.className = 'log-entry';
      const summary = document.createElement('summary');
      const dir = document.createElement('span');
      dir.className = 'dir';
      dir.textContent = entry.direction;
      const status = document.createElement('span');
      status.className = entry.status >= 400 || entry.status === 0 ? 'status-bad' : '';
      status.textContent = ` ${entry.status} `;
      summary.append(dir, status, `${entry.summary} · ${new Date(entry.at).toLocaleTimeString()}`);
      const pre = document.createElement('pre');
      pre.textContent = JSON.stringify(entry.detail, null, 2);
      details.append(summary, pre);
      return details;
    }),
  );
}

function renderModal() {
  const view = state.views.filter((v) => v.user === ui.person.value).at(-1);
  const key = view ? `${view.id}:${view.hash}:${JSON.stringify(view.errors ?? {})}` : '';
  if (key === renderedModalKey) return; // do not wipe what the person is typing
  renderedModalKey = key;
  if (!view) {
    ui.modalRoot.replaceChildren();
    return;
  }
  const backdrop = document.createElement('div');
  backdrop.className = 'modal-backdrop';
  const modal = document.createElement('div');
  modal.className = 'modal';
  modal.setAttribute('role', 'dialog');
  const header = document.createElement('header');
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
  const footer = document.createElement('footer');
  const close = document.createElement('button');
  close.className = 'bk';
  close.textContent = view.view.close?.text ?? 'Cancel';
  close.addEventListener('click', () => api('/api/close', { viewId: view.id }));
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
    await api('/api/submit', { viewId: view.id, values: JSON.stringify(values) });
    submit.disabled = false;
  });
  footer.append(close, submit);
  modal.append(header, body, footer);
  backdrop.append(modal);
  ui.modalRoot.replaceChildren(backdrop);
  body.querySelector('textarea, input')?.focus();
}

function render() {
  if (!state) return;
  currentChannel ??= state.channels.find((c) => c.messages.length)?.id ?? state.channels[0].id;
  renderChannels();
  renderChannel();
  renderThread();
  renderX();
  renderLog();
  renderModal();
}

function selectTab(name) {
  currentTab = name;
  for (const button of document.querySelectorAll('.tabs button')) button.classList.toggle('active', button.dataset.tab === name);
  for (const tab of ['thread', 'x', 'log']) document.querySelector(`#tab-${tab}`).hidden = tab !== currentTab;
}

async function refresh() {
  state = await (await fetch('/api/state')).json();
  if (!ui.person.options.length) {
    for (const person of state.people) ui.person.append(new Option(person.realName, person.id));
  }
  render();
}

for (const button of document.querySelectorAll('.tabs button')) button.addEventListener('click', () => selectTab(button.dataset.tab));
ui.person.addEventListener('change', () => {
  renderedModalKey = '';
  render();
});
ui.commandForm.addEventListener('submit', async (event) => {
  event.preventDefault();
  const text = ui.commandInput.value.trim().replace(/^\/crm\s*/, '');
  ui.commandInput.value = '';
  await api('/api/command', { text, channel: currentChannel });
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
