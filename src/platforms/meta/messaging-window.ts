/**
 * Messenger's and Instagram's rule for replies to private messages: any reply within 24 hours of
 * the customer's last message; after that, only a person's reply tagged `HUMAN_AGENT`, up to 7 days,
 * and only when the app passed Meta's review for it (`META_HUMAN_AGENT=true`). Pure.
 */

const DAY_MS = 24 * 3_600_000;
const HUMAN_AGENT_MS = 7 * DAY_MS;

export type WindowVerdict =
  | { kind: 'open' }
  /** Outside 24 h, inside 7 days, and the app may tag it. */
  | { kind: 'human_agent' }
  | { kind: 'closed'; reason: string };

export function messagingWindow(network: string, lastInboundAt: string | undefined, now: Date, humanAgentAllowed: boolean): WindowVerdict {
  if (!lastInboundAt) return { kind: 'closed', reason: `${network} allows a reply only after the customer has written` };
  const since = now.getTime() - Date.parse(lastInboundAt);
  if (since <= DAY_MS) return { kind: 'open' };
  const dayEnded = new Date(Date.parse(lastInboundAt) + DAY_MS);
  if (since <= HUMAN_AGENT_MS && humanAgentAllowed) return { kind: 'human_agent' };
  const last = `the customer last wrote ${utc(new Date(Date.parse(lastInboundAt)))}`;
  if (since <= HUMAN_AGENT_MS) {
    return {
      kind: 'closed',
      reason: `${network} allows replies for 24 hours after the customer's last message: ${last}, so it could have been sent until ${utc(dayEnded)}. Replies up to 7 days need Meta's Human Agent permission (then set META_HUMAN_AGENT=true)`,
    };
  }
  return {
    kind: 'closed',
    reason: `${network} allows no reply more than 7 days after the customer's last message: ${last}, so it could have been sent until ${utc(humanAgentAllowed ? new Date(Date.parse(lastInboundAt) + HUMAN_AGENT_MS) : dayEnded)}. It will open again when they write`,
  };
}

const utc = (date: Date) => `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
