// Renders Block Kit the way Slack shows it, closely enough to read and click.
// Plain text is always set with textContent. mrkdwn is rendered by turning Slack's own control
// sequences (<url|label>, <@U…>, <!date^…>) into elements and keeping every other character as text.

const EMOJI = {
  question: '❓',
  elephant: '🐘',
  lock: '🔒',
  mute: '🔇',
  envelope: '✉️',
  butterfly: '🦋',
  blue_book: '📘',
  camera_with_flash: '📸',
  see_no_evil: '🙈',
  pencil2: '✏️',
  zzz: '💤',
  wastebasket: '🗑️',
  warning: '⚠️',
  information_source: 'ℹ️',
  tada: '🎉',
  speech_balloon: '💬',
  slightly_smiling_face: '🙂',
  neutral_face: '😐',
  slightly_frowning_face: '🙁',
  bust_in_silhouette: '👤',
  raising_hand: '🙋',
  heart: '❤️',
  white_check_mark: '✅',
  hourglass_flowing_sand: '⏳',
  outbox_tray: '📤',
  leftwards_arrow_with_hook: '↩️',
  x: '❌',
  moneybag: '💰',
  bar_chart: '📊',
  calendar: '📅',
  mag: '🔍',
  memo: '📝',
  package: '📦',
  star: '⭐',
  office: '🏢',
  email: '📧',
  label: '🏷️',
  phone: '📞',
  arrow_upper_right: '↗️',
  arrow_lower_right: '↘️',
  arrow_right: '➡️',
  globe_with_meridians: '🌐',
  large_green_circle: '🟢',
  incoming_envelope: '📨',
  arrows_counterclockwise: '🔄',
  robot_face: '🤖',
  ocean: '🌊',
  test_tube: '🧪',
  double_vertical_bar: '⏸️',
  white_circle: '⚪',
};

/** Slack's entities in mrkdwn are &amp; &lt; &gt;: decoded for display as text, never as markup. */
function decodeEntities(text) {
  return text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
}

function formatDate(seconds, fallback) {
  const date = new Date(Number(seconds) * 1000);
  return Number.isNaN(date.getTime()) ? fallback : slackTime(date);
}

const TIME = new Intl.DateTimeFormat('en', { hour: 'numeric', minute: '2-digit' });
const MONTH_DAY = new Intl.DateTimeFormat('en', { month: 'short', day: 'numeric' });
const ordinal = (day) => {
  const tens = day % 100;
  if (tens >= 11 && tens <= 13) return `${day}th`;
  return `${day}${{ 1: 'st', 2: 'nd', 3: 'rd' }[day % 10] ?? 'th'}`;
};

/** As Slack shows a time: "Today at 2:05 PM", "Yesterday at 9:41 AM", "Nov 25th at 9:41 AM". */
export function slackTime(date) {
  const day = (d) => new Date(d.getFullYear(), d.getMonth(), d.getDate()).getTime();
  const days = Math.round((day(new Date()) - day(date)) / 86_400_000);
  const time = TIME.format(date);
  if (days === 0) return `Today at ${time}`;
  if (days === 1) return `Yesterday at ${time}`;
  const monthDay = MONTH_DAY.format(date).replace(/\d+$/, (d) => ordinal(Number(d)));
  return `${monthDay}${date.getFullYear() === new Date().getFullYear() ? '' : `, ${date.getFullYear()}`} at ${time}`;
}

/**
 * Styles as Slack reads them: `*bold*`, `_italic_`, `~strike~` only at word edges (so the underscores
 * in grace_hopper stay text), `code`, :emoji:. Control sequences (<@U…>, <url|label>) are masked
 * first, so a style may span them ("*Sent by <@U1> as @brand*") and a `*` inside a URL means nothing.
 */
const STYLE =
  /((?<![\w*])\*[^*\n]+\*(?![\w*])|(?<![\w_])_[^_\n]+_(?![\w_])|(?<![\w~])~[^~\n]+~(?![\w~])|`[^`\n]+`|:[a-z0-9_+-]+:|\uE000\d+\uE001)/g;

function appendStyled(parent, masked, sequences, names) {
  let last = 0;
  for (const match of masked.matchAll(STYLE)) {
    if (match.index > last) parent.append(decodeEntities(masked.slice(last, match.index)));
    const token = match[0];
    if (token.startsWith('\uE000')) appendSequence(parent, sequences[Number(token.slice(1, -1))], names);
    else if (token.startsWith(':')) parent.append(EMOJI[token.slice(1, -1)] ?? token);
    else {
      const tag = { '*': 'strong', _: 'em', '~': 's', '`': 'code' }[token[0]];
      const el = document.createElement(tag);
      const inner = token.slice(1, -1);
      // Code shows its text as written; other styles may hold links, mentions and emoji.
      if (tag === 'code') el.textContent = decodeEntities(inner.replace(/\uE000(\d+)\uE001/g, (_, n) => sequences[Number(n)]));
      else appendStyled(el, inner, sequences, names);
      parent.append(el);
    }
    last = match.index + token.length;
  }
  if (last < masked.length) parent.append(decodeEntities(masked.slice(last)));
}

/** One control sequence: a user or special mention, a date, a channel, a link. */
function appendSequence(parent, sequence, names) {
  const [target, label] = sequence.slice(1, -1).split('|');
  if (target.startsWith('@')) {
    const span = document.createElement('span');
    span.className = 'mention-user';
    span.textContent = `@${names[target.slice(1)] ?? target.slice(1)}`;
    parent.append(span);
  } else if (target.startsWith('!date^')) {
    parent.append(formatDate(target.split('^')[1], decodeEntities(label ?? '')));
  } else if (target.startsWith('!')) {
    const span = document.createElement('span');
    span.className = 'mention-user';
    span.textContent = `@${target.slice(1).split('^')[0]}`;
    parent.append(span);
  } else if (target.startsWith('#')) {
    parent.append(`#${label ?? names[target.slice(1)] ?? target.slice(1)}`);
  } else if (/^https?:\/\//.test(target)) {
    const a = document.createElement('a');
    a.href = target;
    a.target = '_blank';
    a.rel = 'noreferrer';
    a.textContent = decodeEntities(label ?? target);
    parent.append(a);
  } else {
    parent.append(decodeEntities(sequence));
  }
}

/** One line of mrkdwn into `parent`. */
function appendLine(parent, line, names) {
  const sequences = [];
  const masked = line.replace(/<[^<>]+>/g, (sequence) => `\uE000${sequences.push(sequence) - 1}\uE001`);
  appendStyled(parent, masked, sequences, names);
}

/** mrkdwn text (several lines, `>` quotes) into a new element. */
export function renderMrkdwn(text, names = {}) {
  const root = document.createElement('div');
  let quote = null;
  for (const line of text.split('\n')) {
    const isQuote = line.startsWith('>');
    if (isQuote && !quote) quote = root.appendChild(document.createElement('blockquote'));
    if (!isQuote) quote = null;
    const target = isQuote ? quote : root;
    const row = document.createElement('div');
    appendLine(row, isQuote ? line.slice(1) : line, names);
    target.append(row);
  }
  return root;
}

function renderText(object, names) {
  if (!object) return document.createTextNode('');
  if (object.type === 'mrkdwn') return renderMrkdwn(object.text, names);
  const span = document.createElement('span');
  span.textContent = object.text;
  return span;
}

/**
 * Renders one interactive element. `onAction(element, extra)` is called on a click or a choice;
 * inputs are read by the caller from the returned element's `dataset`.
 */
function renderElement(element, blockId, onAction) {
  if (element.type === 'button') {
    const button = document.createElement('button');
    button.className = `bk ${element.style ?? ''}`;
    button.textContent = element.text?.text ?? '';
    button.addEventListener('click', () => onAction({ ...element, block_id: blockId }));
    return button;
  }
  if (element.type === 'static_select' || element.type === 'overflow') {
    // An overflow menu (a surge thread's mentions) is a select whose placeholder is Slack's "⋯".
    const select = document.createElement('select');
    select.className = element.type === 'overflow' ? 'bk overflow' : 'bk';
    select.setAttribute('aria-label', element.type === 'overflow' ? 'More actions' : (element.placeholder?.text ?? 'Choose'));
    const placeholder = new Option(element.type === 'overflow' ? '⋯' : (element.placeholder?.text ?? 'Choose…'), '');
    placeholder.disabled = true;
    placeholder.selected = true;
    select.append(placeholder);
    for (const option of element.options ?? []) select.append(new Option(option.text.text, option.value));
    select.addEventListener('change', () =>
      onAction({ ...element, block_id: blockId }, { value: select.value, label: select.selectedOptions[0]?.text ?? '' }),
    );
    return select;
  }
  if (element.type === 'image') {
    const img = document.createElement('img');
    img.src = element.image_url;
    img.alt = element.alt_text ?? '';
    img.width = 20;
    return img;
  }
  return document.createTextNode(`[${element.type}]`);
}

/**
 * The inputs a form offers besides text: checkboxes, selects (one or many), people, channels and
 * numbers. The element carrying `data-action-id` holds the value; `data-list` marks one that
 * submits a list (checkboxes, multi-selects). Users and channels are the workspace's, from `names`.
 */
function renderChoiceInput(element, blockId, names) {
  if (!element) return undefined;
  const initial = new Set((element.initial_options ?? []).map((option) => option.value));
  if (element.initial_option) initial.add(element.initial_option.value);
  const mark = (node, isList = false) => {
    node.dataset.actionId = element.action_id ?? '';
    node.dataset.blockId = blockId ?? '';
    if (isList) node.dataset.list = 'true';
    return node;
  };
  if (element.type === 'checkboxes') {
    const box = mark(document.createElement('div'), true);
    box.className = 'checkboxes';
    for (const option of element.options ?? []) {
      const row = document.createElement('label');
      const tick = document.createElement('input');
      tick.type = 'checkbox';
      tick.value = option.value;
      tick.checked = initial.has(option.value);
      row.append(tick, ` ${option.text.text}`);
      box.append(row);
    }
    return box;
  }
  const selectOf = (options, isList) => {
    const select = mark(document.createElement('select'), isList);
    select.className = 'bk';
    select.multiple = isList;
    if (!isList) select.append(new Option('—', ''));
    for (const [value, text] of options) {
      const option = new Option(text, value);
      option.selected = initial.has(value) || value === element.initial_user || value === element.initial_conversation;
      select.append(option);
    }
    return select;
  };
  const options = (element.options ?? []).map((option) => [option.value, option.text.text]);
  const named = (prefix) => Object.entries(names).filter(([id]) => id.startsWith(prefix));
  if (element.type === 'static_select') return selectOf(options, false);
  if (element.type === 'multi_static_select') return selectOf(options, true);
  if (element.type === 'users_select') return selectOf(named('U'), false);
  if (element.type === 'conversations_select' || element.type === 'channels_select') {
    return selectOf(
      named('C').map(([id, name]) => [id, `#${name}`]),
      false,
    );
  }
  if (element.type === 'number_input') {
    const input = mark(document.createElement('input'));
    input.type = 'number';
    input.value = element.initial_value ?? '';
    if (element.min_value) input.min = element.min_value;
    if (element.max_value) input.max = element.max_value;
    return input;
  }
  return undefined;
}

/** Renders a list of blocks. `errors` maps an input block_id to its error (modals). */
/** The error Slack returned for an input (`response_action: errors`), under it. */
function appendError(parent, message) {
  if (!message) return;
  const error = document.createElement('div');
  error.className = 'error';
  error.textContent = message;
  parent.append(error);
}

/**
 * An external_select in a modal: a text box whose options come from the app as the person types
 * (the page asks through `onSuggest`). The chosen option's value is kept in `dataset.value`.
 */
function renderExternalSelect(element, blockId, onSuggest) {
  const wrapper = document.createElement('div');
  const input = document.createElement('input');
  input.placeholder = element.placeholder?.text ?? 'Type to search';
  input.dataset.actionId = element.action_id;
  input.dataset.blockId = blockId;
  input.dataset.value = '';
  const list = document.createElement('datalist');
  list.id = `options-${blockId}`;
  input.setAttribute('list', list.id);
  let byLabel = new Map();
  let timer;
  input.addEventListener('input', () => {
    input.dataset.value = byLabel.get(input.value) ?? '';
    clearTimeout(timer);
    if (input.value.length < (element.min_query_length ?? 1) || byLabel.has(input.value)) return;
    timer = setTimeout(async () => {
      const options = await onSuggest(element, blockId, input.value);
      byLabel = new Map(options.map((option) => [option.text.text, option.value]));
      list.replaceChildren(...options.map((option) => new Option(option.text.text, option.text.text)));
    }, 150);
  });
  wrapper.append(input, list);
  return wrapper;
}

export function renderBlocks(blocks, { names = {}, onAction = () => {}, onSuggest = async () => [], errors = {} } = {}) {
  const root = document.createElement('div');
  for (const block of blocks ?? []) {
    const el = document.createElement('div');
    el.className = `block-${block.type}`;
    switch (block.type) {
      case 'section':
        if (block.text) el.append(renderText(block.text, names));
        if (block.fields) {
          const fields = document.createElement('div');
          fields.className = 'block-fields';
          for (const field of block.fields) fields.append(renderText(field, names));
          el.append(fields);
        }
        if (block.accessory) el.append(renderElement(block.accessory, block.block_id, onAction));
        break;
      case 'context':
        for (const element of block.elements ?? [])
          el.append(element.type === 'image' ? renderElement(element) : renderText(element, names));
        break;
      case 'actions':
        for (const element of block.elements ?? []) el.append(renderElement(element, block.block_id, onAction));
        break;
      case 'header':
        el.textContent = block.text?.text ?? '';
        break;
      case 'divider':
        el.append(document.createElement('hr'));
        break;
      case 'image': {
        const img = document.createElement('img');
        img.src = block.image_url;
        img.alt = block.alt_text ?? '';
        el.append(img);
        break;
      }
      case 'input': {
        const label = document.createElement('label');
        label.textContent = block.label?.text ?? '';
        if (block.element?.type === 'external_select') {
          el.append(label, renderExternalSelect(block.element, block.block_id, onSuggest));
          appendError(el, errors[block.block_id]);
          break;
        }
        const choice = renderChoiceInput(block.element, block.block_id, names);
        if (choice) {
          el.append(label, choice);
          appendError(el, errors[block.block_id]);
          break;
        }
        const input = document.createElement(block.element?.multiline ? 'textarea' : 'input');
        if (block.element?.multiline) input.rows = 5;
        input.value = block.element?.initial_value ?? '';
        input.dataset.actionId = block.element?.action_id ?? '';
        input.dataset.blockId = block.block_id ?? '';
        label.htmlFor = input.id = `input-${block.block_id}`;
        el.append(label, input);
        appendError(el, errors[block.block_id]);
        break;
      }
      default:
        el.textContent = `[${block.type} block]`;
    }
    root.append(el);
  }
  return root;
}
