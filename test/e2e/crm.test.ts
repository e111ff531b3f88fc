import { describe, expect, it } from 'vitest';
import { jsonFilesText } from '../helpers/data-files.ts';
import { platformEnv, useTestBed, waitUntil } from '../helpers/harness.ts';
import { replyFlow } from '../helpers/reply-flow.ts';

describe('/crm: contacts linked to every author', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );

  it('creates a contact per author and finds it with typos, by @handle and by ID', async () => {
    await bed.start();
    const first = await flow.mention('my order is late', { username: 'mhamilton', name: 'Margaret Hamilton' });
    await flow.mention('thanks for the help', { username: 'ada_l', name: 'Ada Lovelace' });
    await flow.writeInThread(first, 'Called her, replacement on its way');

    // The thread note is saved after Slack's event is acknowledged: wait for it on the card.
    const card = await waitUntil(async () => {
      const answer = await flow.command('lookup margret hamiltn');
      return JSON.stringify(answer).includes('Called her') ? answer : undefined;
    }, 5_000);
    expect(card.response_type).toBe('ephemeral');
    expect(JSON.stringify(card)).toContain('Margaret Hamilton');
    expect(JSON.stringify(card)).toContain('<https://x.com/mhamilton|@mhamilton>');
    expect(JSON.stringify(card)).toContain('*Mentions* 1');
    expect(JSON.stringify(card)).toContain('Open questions (1)');
    expect(JSON.stringify(card)).toContain('Called her, replacement on its way');

    expect(JSON.stringify(await flow.command('lookup @ada_l'))).toContain('Ada Lovelace');
    expect((await flow.command('lookup nobody-like-this-xyz')).text).toContain('No contact matches');
    expect((await flow.command('lookup')).text).toContain('Usage: `/crm lookup');
  });

  it('lists several contacts when a lookup is ambiguous', async () => {
    await bed.start();
    await flow.mention('hello', { username: 'grace_h', name: 'Grace Hopper' });
    await flow.mention('hi again', { username: 'grace_k', name: 'Grace Kelly' });
    const answer = await flow.command('lookup grace');
    expect(answer.text).toContain('Several contacts match');
    expect(answer.text).toContain('Grace Hopper');
    expect(answer.text).toContain('Grace Kelly');
  });

  it('adds notes and tags, and links a second handle to a contact', async () => {
    await bed.start();
    await flow.mention('where is my parcel', { username: 'katherine_j', name: 'Katherine Johnson' });
    expect((await flow.command('note @katherine_j prefers email over DMs')).text).toContain("Note saved on Katherine Johnson's timeline");
    expect((await flow.command('tag @katherine_j VIP')).text).toContain('`vip`');
    expect((await flow.command('link @kj_work "Katherine Johnson"')).text).toContain('@kj_work on X is now linked to Katherine Johnson');

    const card = JSON.stringify(await flow.command('lookup @kj_work'));
    expect(card).toContain('Katherine Johnson');
    expect(card).toContain('prefers email over DMs');
    expect(card).toContain('`vip`');

    // A mention from the linked handle lands on the same contact.
    await flow.mention('second account here', { username: 'kj_work', name: 'KJ at work' });
    await waitUntil(
      async () => JSON.stringify(await flow.command('lookup @katherine_j')).includes('*Mentions* 2'),
      5_000,
      'two mentions on one card',
    );
  });

  it('answers malformed note, tag and link commands with usage, changing nothing', async () => {
    await bed.start();
    expect((await flow.command('note')).text).toContain('Usage: `/crm note <contact> <text>`');
    expect((await flow.command('tag @someone')).text).toContain('Usage: `/crm tag <contact> <tag>`');
    expect((await flow.command('link ada somebody')).text).toContain('Usage: `/crm link <@handle> <contact>`');
    expect((await flow.command('note @ghost hello')).text).toContain('No contact matches “@ghost”. Nothing was changed.');
  });
});

describe('/crm: linking and merging contacts', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );

  it('links an author to an existing contact from the Link contact modal, with a type-ahead', async () => {
    await bed.start();
    await flow.mention('first account', { username: 'margaret_h', name: 'Margaret Hamilton' });
    const second = await flow.mention('second account speaking', { username: 'apollo_guidance', name: 'Apollo Guidance' });

    const before = bed.standins.slack.views().length;
    await flow.press('mention_link_contact', second.message, second.key);
    const view = await waitUntil(() => bed.standins.slack.views()[before], 5_000, 'the Link contact modal');
    expect(JSON.stringify(view.view)).toContain('external_select');

    const { blockSuggestion, viewSubmission } = await import('../../src/sandbox/slack-payloads.ts');
    const suggested = await flow.send(blockSuggestion({ view, actionId: 'contact_pick', blockId: 'contact_pick', value: 'margret' }));
    const options = (JSON.parse(suggested.text) as { options: Array<{ text: { text: string }; value: string }> }).options;
    expect(options[0]?.text.text).toContain('Margaret Hamilton');

    const submitted = await flow.send(viewSubmission({ view, values: { contact_pick: options[0]?.value ?? '' } }));
    expect(submitted.status).toBe(200);
    await waitUntil(
      () => JSON.stringify(flow.currentMessage(second)?.blocks).includes('Contact: *Margaret Hamilton*'),
      5_000,
      'the message updated',
    );
    const card = JSON.stringify(await flow.command('lookup @apollo_guidance'));
    expect(card).toContain('@margaret_h');
    expect(card).toContain('*Mentions* 2');
    // The contact made automatically for the second account is gone: nothing left on it.
    expect((await flow.command('lookup apollo guidance')).text).not.toContain('Several contacts');
  });

  it('asks for a choice when the Link contact form is sent empty', async () => {
    await bed.start();
    const mention = await flow.mention('hello', { username: 'x_user', name: 'X User' });
    const before = bed.standins.slack.views().length;
    await flow.press('mention_link_contact', mention.message, mention.key);
    const view = await waitUntil(() => bed.standins.slack.views()[before], 5_000);
    const { viewSubmission } = await import('../../src/sandbox/slack-payloads.ts');
    const answer = await flow.send(viewSubmission({ view, values: {} }));
    expect(answer.text).toContain('Pick a contact, or name a new one below.');
  });

  it('merges two contacts: identities, mentions and notes combined, nothing lost', async () => {
    await bed.start();
    await flow.mention('work account here', { username: 'grace_work', name: 'G. Hopper' });
    await flow.mention('personal account', { username: 'grace_h', name: 'Grace Hopper' });
    await flow.command('note @grace_work uses the work account for orders');
    await flow.command('tag @grace_h navy');
    const merged = await flow.command('merge @grace_h @grace_work');
    expect(merged.text).toContain('Merged G. Hopper into Grace Hopper');
    const card = JSON.stringify(await flow.command('lookup @grace_work'));
    expect(card).toContain('Grace Hopper');
    expect(card).toContain('@grace_h');
    expect(card).toContain('*Mentions* 2');
    expect(card).toContain('uses the work account for orders');
    expect(card).toContain('`navy`');
    expect((await flow.command('merge @grace_h @grace_work')).text).toContain('same contact');
    expect((await flow.command('merge @grace_h')).text).toContain('Usage: `/crm merge <contact> <contact>`');
  });
});

describe('/crm forget: GDPR erasure', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );

  const everyFile = () => jsonFilesText(bed.dataDir);

  it('asks first, then erases the contact and their data from every file; the audit log keeps only that it happened', async () => {
    await bed.start();
    const mention = await flow.mention('my card ending 4242 was charged twice', { username: 'ada_l', name: 'Ada Lovelace' });
    await flow.mention('unrelated customer', { username: 'grace_h', name: 'Grace Hopper' });
    await flow.writeInThread(mention, 'She lives at 12 Marylebone Road');
    await flow.writeInThread(mention, 'reply: @ada_l so sorry Ada, refund on its way');
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000);
    await waitUntil(async () => (await everyFile()).includes('12 Marylebone Road'), 5_000, 'the note on disk');
    await flow.mention('and my parcel 88-HL never came', { username: 'ada_l', name: 'Ada Lovelace' });
    // A digest posted before the erasure names her (top contacts) and quotes her (still unanswered).
    await flow.command('digest');
    const digestText = () =>
      JSON.stringify(
        bed.standins.slack
          .allMessages()
          .filter((m) => m.bot_id && (m.metadata as { event_type?: string } | undefined)?.event_type === 'switchboard_digest')
          .map((m) => [m.text, m.blocks]),
      );
    await waitUntil(() => digestText().includes('parcel 88-HL') && digestText().includes('Ada Lovelace'), 10_000, 'the digest');

    const question = await flow.command('forget @ada_l');
    expect(question.text).toContain('Erase *Ada Lovelace* for good?');
    const { buttonClick } = await import('../../src/sandbox/slack-payloads.ts');
    const contactId = JSON.stringify(question).match(/"value":"([^"]+)"/)?.[1] ?? '';
    await flow.send(buttonClick({ actionId: 'crm_forget_confirm', value: contactId, channel: 'C0MENTIONS', messageTs: '1.1' }));
    await waitUntil(() => flow.ephemeralsFor('U0AGENT01').some((m) => m.text.startsWith('Erased Ada Lovelace')), 5_000, 'the confirmation');
    const done = flow.ephemeralsFor('U0AGENT01').find((m) => m.text.startsWith('Erased Ada Lovelace'))?.text ?? '';

    const files = await everyFile();
    for (const trace of ['ada_l', 'Ada Lovelace', 'card ending 4242', 'Marylebone', 'refund on its way', 'parcel 88-HL', mention.post.id])
      expect(files).not.toContain(trace);
    expect(files).toContain('Grace Hopper');
    expect(files).toContain('"action":"erasure"');
    expect((await flow.command('lookup @ada_l')).text).toContain('No contact matches');
    expect(JSON.stringify(flow.currentMessage(mention)?.blocks)).toContain("Erased at the person's request");
    // Every message the bot wrote about her (the mention, the reply's announcement) now says "erased".
    // The digest is redrawn without her, not blanked: the rest of the day's figures stay.
    const botMessages = bed.standins.slack.allMessages().filter((message) => message.bot_id);
    for (const trace of ['ada_l', 'Ada Lovelace', 'card ending 4242', 'refund on its way', 'parcel 88-HL'])
      expect(JSON.stringify(botMessages.map((m) => [m.text, m.blocks])), trace).not.toContain(trace);
    // Nor does any message's metadata name her post (the mention's key holds the post's ID).
    expect(JSON.stringify(botMessages.map((m) => m.metadata))).not.toContain(mention.post.id);
    expect(digestText()).toContain('Grace Hopper');
    expect(done).toContain('1 digest(s) that named or quoted them were redrawn without them');
    // The staff note typed in the thread stays in Slack: the admin gets a link to delete it.
    const note = bed.standins.slack.allMessages().find((m) => m.text === 'She lives at 12 Marylebone Road');
    expect(done).toContain(`/archives/${note?.channel}/p${note?.ts.replace('.', '')}|note 1>`);
  });

  it("erases a person's likes of the brand's posts too, so no digest lists them again", async () => {
    await bed.start(platformEnv(bed.standins, 'bluesky'));
    const post = bed.standins.bluesky.addMention({ handle: 'ada', displayName: 'Ada Lovelace' }, 'love the tent');
    await flow.posted(`bluesky:${post.uri}`);
    bed.standins.bluesky.addLikeNotification({ handle: 'ada' }, bed.standins.bluesky.brandPost('New tents!'));
    bed.bot.running.pollNow();
    await waitUntil(async () => (await everyFile()).includes('app.bsky.feed.like'), 10_000, 'the like stored');
    const exported = JSON.stringify(await exportOf('@ada.bsky.social'));
    expect(exported).toContain('likesOfOurPosts');
    expect(exported).toContain('app.bsky.feed.like');
    await forget('@ada.bsky.social');
    const files = await everyFile();
    for (const trace of ['ada.bsky.social', 'Ada Lovelace', 'app.bsky.feed.like']) expect(files, trace).not.toContain(trace);
  });

  /** The JSON file `/crm export` sends to the asker's direct messages. */
  const exportOf = async (handle: string) => {
    const before = bed.standins.slack.files.size;
    await flow.command(`export ${handle}`);
    await waitUntil(() => bed.standins.slack.files.size > before, 5_000, 'the export file');
    const file = [...bed.standins.slack.files.values()].at(-1);
    return JSON.parse(file?.content?.toString('utf8') ?? '{}') as Record<string, unknown>;
  };

  const forget = async (handle: string) => {
    const question = await flow.command(`forget ${handle}`);
    const { buttonClick } = await import('../../src/sandbox/slack-payloads.ts');
    const contactId = JSON.stringify(question).match(/"value":"([^"]+)"/)?.[1] ?? '';
    await flow.send(buttonClick({ actionId: 'crm_forget_confirm', value: contactId, channel: 'C0MENTIONS', messageTs: '1.1' }));
    await waitUntil(() => flow.ephemeralsFor('U0AGENT01').some((m) => m.text.startsWith('Erased')), 10_000, 'the erasure');
  };

  it('cancels a reply to the person still in its undo window: nothing is published, nothing written back', async () => {
    await bed.start({ REPLY_UNDO_SECONDS: '2' });
    const mention = await flow.mention('please delete everything about me', { username: 'ada_l', name: 'Ada Lovelace' });
    await flow.writeInThread(mention, 'reply: @ada_l sure, Ada, doing it now');
    await waitUntil(() => flow.threadOf(mention).length === 1, 5_000, 'the announcement');
    await forget('@ada_l');
    await new Promise((resolve) => setTimeout(resolve, 3000)); // past the undo window
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(0);
    const files = await everyFile();
    // The X cursor holds the post's millisecond, not its ID: nothing points to her post either.
    for (const trace of ['ada_l', 'Ada Lovelace', 'doing it now', mention.post.id]) expect(files).not.toContain(trace);
  });

  it('lets a reply already being sent finish first, then erases: published once, nothing written back', async () => {
    await bed.start();
    const mention = await flow.mention('one last question', { username: 'ada_l', name: 'Ada Lovelace' });
    bed.standins.x.faults.inject('tweets.create', { kind: 'delay', ms: 1500 });
    await flow.writeInThread(mention, 'reply: @ada_l answered, Ada');
    await new Promise((resolve) => setTimeout(resolve, 300)); // the send is under way
    await forget('@ada_l');
    expect(bed.standins.x.published().filter((post) => post.text.includes('answered, Ada'))).toHaveLength(1);
    expect(bed.standins.x.callsTo('tweets.create')).toHaveLength(1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const files = await everyFile();
    for (const trace of ['ada_l', 'Ada Lovelace', 'answered, Ada']) expect(files).not.toContain(trace);
  });

  it('does nothing when cancelled, and refuses people who are not admins', async () => {
    await bed.start({ REPLY_ALLOWED_USERS: 'U0AGENT01' });
    await flow.mention('hello', { username: 'hedy_l', name: 'Hedy Lamarr' });
    expect((await flow.command('forget @hedy_l', 'U0OUTSIDER')).text).toContain('Erasing a contact is for Switchboard admins');
    const { buttonClick } = await import('../../src/sandbox/slack-payloads.ts');
    const question = await flow.command('forget @hedy_l');
    const contactId = JSON.stringify(question).match(/"value":"([^"]+)"/)?.[1] ?? '';
    await flow.send(buttonClick({ actionId: 'crm_forget_cancel', value: contactId, channel: 'C0MENTIONS', messageTs: '1.1' }));
    await waitUntil(() => flow.ephemeralsFor('U0AGENT01').some((m) => m.text === 'Nothing was erased.'), 5_000);
    await flow.send(
      buttonClick({ actionId: 'crm_forget_confirm', value: contactId, channel: 'C0MENTIONS', messageTs: '1.1', userId: 'U0OUTSIDER' }),
    );
    await waitUntil(
      () => flow.ephemeralsFor('U0OUTSIDER').some((m) => m.text.startsWith('Erasing a contact is for Switchboard admins')),
      5_000,
    );
    expect(JSON.stringify(await flow.command('lookup @hedy_l'))).toContain('Hedy Lamarr');
  });
});

describe('/crm export: GDPR access', () => {
  const bed = useTestBed();
  const flow = replyFlow(
    () => bed.standins,
    () => bed.bot.url,
  );

  it("sends the contact's data as a JSON file to the asker's direct messages", async () => {
    await bed.start();
    const mention = await flow.mention('is my order shipped', { username: 'katherine_j', name: 'Katherine Johnson' });
    await flow.command('note @katherine_j asked twice already');
    await flow.writeInThread(mention, 'reply: @katherine_j it ships today');
    await waitUntil(() => flow.repliesOnX(mention).length === 1, 5_000, 'the reply');
    const answer = await flow.command('export @katherine_j');
    // Answered at once; the file follows, and the asker is told through response_url.
    expect(answer.text).toMatch(/Preparing contact-.*\.json: it will arrive in your direct messages/);
    await waitUntil(() => flow.ephemeralsFor('U0AGENT01').some((m) => /Sent contact-.*\.json to your direct messages/.test(m.text)), 5_000);
    const [file] = [...bed.standins.slack.files.values()];
    expect(file?.channel).toBe('D0AGENT01');
    const data = JSON.parse(file?.content?.toString('utf8') ?? '{}');
    expect(data.contact.name).toBe('Katherine Johnson');
    expect(data.mentions[0].post.id).toBe(mention.post.id);
    expect(data.notes[0].text).toBe('asked twice already');
    // The replies written to her, with their text, and the audit entries about her posts.
    expect(data.replies).toEqual([expect.objectContaining({ to: mention.post.id, text: '@katherine_j it ships today', state: 'sent' })]);
    expect(data.audit.map((entry: { action: string }) => entry.action)).toEqual(expect.arrayContaining(['reply_scheduled', 'reply_sent']));
    expect(data.likesOfOurPosts).toEqual([]);
    const title = bed.standins.slack.messages('D0AGENT01')[0]?.files?.[0]?.title;
    expect(title).toBe(`Data held about contact ${data.contact.key}`); // no name in a title that shows in previews
    expect((await flow.command('export')).text).toContain('Usage: `/crm export <contact>`');
  });
});
