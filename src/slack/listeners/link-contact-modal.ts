import type { App, ViewSubmitAction } from '@slack/bolt';
import { ACTION, BLOCK, VIEW } from '../ids.ts';
import { renderContactOptions } from '../views/link-contact-modal.ts';
import type { ListenerContext } from './context.ts';

/** The Link contact modal: its type-ahead options, and its submission. */
export function registerLinkContactModal(app: App, context: ListenerContext): void {
  const { store, crm, mentionMessages, log } = context;

  app.options<'block_suggestion'>(ACTION.pickContact, async ({ ack, options }) => {
    const hits = store.contacts.find(options.value ?? '', 20);
    const contacts = (await Promise.all(hits.map((hit) => store.contacts.get(hit.id)))).filter((c) => c !== undefined);
    await ack({ options: renderContactOptions(contacts) });
  });

  app.view<ViewSubmitAction>(VIEW.linkContactModal, async ({ ack, view, body }) => {
    const values = view.state.values;
    const pickedId = values[BLOCK.contactPick]?.[ACTION.pickContact]?.selected_option?.value;
    const newName = values[BLOCK.newContactName]?.[ACTION.newContactName]?.value?.trim();
    const { mentionKey } = JSON.parse(view.private_metadata || '{}') as { mentionKey?: string };
    if (!pickedId && !newName) {
      return ack({ response_action: 'errors', errors: { [BLOCK.contactPick]: 'Pick a contact, or name a new one below.' } });
    }
    // Everything is checked before a new contact is made: a refused form leaves no orphan behind.
    if (!mentionKey || !(await store.mentions.get(mentionKey))) {
      return ack({
        response_action: 'errors',
        errors: { [BLOCK.contactPick]: 'This mention is no longer known (erased?): close the form.' },
      });
    }
    if (newName && newName.length > 200) {
      return ack({ response_action: 'errors', errors: { [BLOCK.newContactName]: 'A name is at most 200 characters.' } });
    }
    const picked = pickedId ? await store.contacts.get(pickedId) : undefined;
    if (pickedId && !picked) {
      return ack({ response_action: 'errors', errors: { [BLOCK.contactPick]: 'That contact no longer exists: pick another.' } });
    }
    const target = picked ?? (await crm.createContact(newName ?? ''));
    await ack();
    await crm.linkAuthor(mentionKey, target);
    const record = await store.mentions.get(mentionKey);
    if (record) await mentionMessages.refresh(record);
    log.info(`${body.user.id} linked the author of ${mentionKey} to contact ${target.key}`);
  });
}
