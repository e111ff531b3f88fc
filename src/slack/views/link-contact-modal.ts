import type { View } from '@slack/types';
import type { ContactRecord, MentionRecord } from '../../domain/records.ts';
import { ACTION, BLOCK, VIEW } from '../ids.ts';
import { escapeMrkdwn, truncate } from '../mrkdwn.ts';
import { section } from './blocks.ts';

/**
 * Link contact: pick an existing contact with a type-ahead (`external_select`, fed by the same
 * search as `/crm lookup`), or name a new one. The author's identity and mentions move to it.
 */
export function renderLinkContactModal(
  subject: { key: string; author: Pick<MentionRecord['mention']['author'], 'handle' | 'name'> },
  current: ContactRecord | undefined,
): View {
  const { author } = subject;
  return {
    type: 'modal',
    callback_id: VIEW.linkContactModal,
    private_metadata: JSON.stringify({ mentionKey: subject.key }),
    title: { type: 'plain_text', text: 'Link contact' },
    submit: { type: 'plain_text', text: 'Link' },
    close: { type: 'plain_text', text: 'Cancel' },
    blocks: [
      section(
        `Who is *@${escapeMrkdwn(author.handle)}* (${escapeMrkdwn(truncate(author.name, 60))})? Now linked to *${escapeMrkdwn(current?.name ?? 'nobody')}*.`,
      ),
      {
        type: 'input',
        block_id: BLOCK.contactPick,
        optional: true,
        label: { type: 'plain_text', text: 'An existing contact' },
        element: {
          type: 'external_select',
          action_id: ACTION.pickContact,
          min_query_length: 2,
          placeholder: { type: 'plain_text', text: 'Type a name, @handle or email' },
        },
      },
      {
        type: 'input',
        block_id: BLOCK.newContactName,
        optional: true,
        label: { type: 'plain_text', text: '…or a new contact named' },
        element: { type: 'plain_text_input', action_id: ACTION.newContactName, max_length: 140 },
      },
    ],
  };
}

/** The options of the contact type-ahead: name, handles and company, value = contact ID. */
export function renderContactOptions(contacts: ContactRecord[]) {
  return contacts.map((contact) => {
    const handles = contact.identities.map((identity) => `@${identity.handle}`).join(' ');
    const label = [contact.name, handles, contact.company].filter(Boolean).join(' · ');
    return { text: { type: 'plain_text' as const, text: truncate(label, 75) }, value: contact.key };
  });
}
