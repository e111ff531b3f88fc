import type { App, ViewSubmitAction } from '@slack/bolt';
import { isConversationKey } from '../../domain/conversations.ts';
import { ACTION, BLOCK, VIEW } from '../ids.ts';
import { renderContactOptions } from '../views/link-contact-modal.ts';
import type { ListenerContext } from './context.ts';

/** The Link contact modal: its type-ahead options, and its submission. */
export function registerLinkContactModal(app: App, context: ListenerContext): void {
  const { crm, actions, conversations, mentionMessages, log } = context;

  app.options<'block_suggestion'>(ACTION.pickContact, async ({ ack, options }) => {
    await ack({ options: renderContactOptions(await crm.search(options.value ?? '', 20)) });
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
    const isConversation = Boolean(mentionKey && isConversationKey(mentionKey));
    const subject = mentionKey && (isConversation ? await conversations.find(mentionKey) : await actions.find(mentionKey));
    if (!mentionKey || !subject) {
      return ack({
        response_action: 'errors',
        errors: { [BLOCK.contactPick]: 'This mention is no longer known (erased?): close the form.' },
      });
    }
    if (newName && newName.length > 200) {
      return ack({ response_action: 'errors', errors: { [BLOCK.newContactName]: 'A name is at most 200 characters.' } });
    }
    const picked = pickedId ? await crm.contact(pickedId) : undefined;
    if (pickedId && !picked) {
      return ack({ response_action: 'errors', errors: { [BLOCK.contactPick]: 'That contact no longer exists: pick another.' } });
    }
    const target = picked ?? (await crm.createContact(newName ?? ''));
    await ack();
    if (isConversation) {
      await crm.linkConversation(mentionKey, target);
      const conversation = await conversations.find(mentionKey);
      if (conversation) await conversations.refresh(conversation);
      log.info(`${body.user.id} linked the customer of ${mentionKey} to contact ${target.key}`);
      return;
    }
    await crm.linkAuthor(mentionKey, target);
    const record = await actions.find(mentionKey);
    if (record) await mentionMessages.refresh(record);
    log.info(`${body.user.id} linked the author of ${mentionKey} to contact ${target.key}`);
  });
}
