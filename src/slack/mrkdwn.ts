/**
 * Text from social platforms is untrusted. Slack's mrkdwn gives `&`, `<` and `>` meaning
 * (`<!channel>`, `<@U123>`, `<!subteam^S1>` ping people; `<url|label>` disguises a link), so they
 * are escaped as Slack documents: https://docs.slack.dev/messaging/formatting-message-text#escaping
 * Text objects carrying outside text are also sent with `verbatim: true`, so Slack does not
 * auto-parse a bare "@here" or "#channel" in them either.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * A sentence with outside text in it: every interpolated value is escaped, the literal parts are
 * ours. `mrkdwnWith\`Note saved on ${contact.name}'s timeline.\`` cannot ping, whatever the name.
 */
export function mrkdwnWith(strings: TemplateStringsArray, ...values: unknown[]): string {
  return strings.reduce((out, literal, i) => out + literal + (i < values.length ? escapeMrkdwn(String(values[i])) : ''), '');
}

/** A link whose label is outside text. `|` and `>` would end the label early, so they are escaped too. */
export function link(url: string, label: string): string {
  const safeUrl = url.replace(/[<>|\s]/g, encodeURIComponent);
  return `<${safeUrl}|${escapeMrkdwn(label).replace(/\|/g, '│')}>`;
}

/**
 * Quotes outside text as a block quote, escaped, within `max` characters of mrkdwn (Slack caps a
 * section at 3,000). The cut is made on the escaped text, never inside an `&amp;` entity.
 */
export function quote(text: string, max = 2900): string {
  let out = '>';
  for (const char of text.replace(/\r\n?/g, '\n')) {
    const piece = char === '\n' ? '\n>' : escapeMrkdwn(char);
    if (out.length + piece.length > max - 1) return `${out}…`;
    out += piece;
  }
  return out;
}

/** Cuts text to a length Slack accepts, on a character (not UTF-16 unit) boundary, with an ellipsis. */
export function truncate(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, max - 1).join('')}…`;
}
