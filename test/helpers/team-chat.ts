import type { MessageRef, TeamChat } from '../../src/services/team-chat.ts';

/**
 * A TeamChat that records what the core asked of it, for service tests that do not need Slack:
 * every call is kept by name; posts answer with a fresh message reference, searches find nothing.
 */
export function recordingTeamChat(): TeamChat & { calls: string[] } {
  const calls: string[] = [];
  let ts = 0;
  const posted = (method: string, channel: string): MessageRef => {
    calls.push(method);
    ts += 1;
    return { channel, ts: `1764000000.${String(ts).padStart(6, '0')}` };
  };
  const done = (method: string) => {
    calls.push(method);
  };
  const nothingFound = (method: string): undefined => {
    calls.push(method);
    return undefined;
  };
  return {
    calls,
    postMention: async (record) => posted('postMention', record.slack.channel),
    updateMention: async () => done('updateMention'),
    findMention: async () => nothingFound('findMention'),
    announceReply: async (reply) => posted('announceReply', reply.thread.channel),
    updateReplyAnnouncement: async () => done('updateReplyAnnouncement'),
    findReplyAnnouncement: async () => nothingFound('findReplyAnnouncement'),
    postDigest: async (channel) => posted('postDigest', channel),
    updateDigest: async () => done('updateDigest'),
    findDigest: async () => nothingFound('findDigest'),
    uploadDigestChart: async () => {
      done('uploadDigestChart');
      return 'F0CHART';
    },
    postConversation: async (conversation) => posted('postConversation', conversation.slack.channel),
    updateConversation: async () => done('updateConversation'),
    findConversation: async () => nothingFound('findConversation'),
    postDirectMessage: async (conversation) => posted('postDirectMessage', conversation.slack.channel),
    findDirectMessage: async () => nothingFound('findDirectMessage'),
    showMoved: async () => done('showMoved'),
    postAutomationNote: async (note) => posted('postAutomationNote', note.kind === 'notify' ? note.channel : note.thread.channel),
    postSurge: async (surge) => posted('postSurge', surge.channel),
    updateSurge: async () => done('updateSurge'),
    postSurgeNotice: async (channel) => posted('postSurgeNotice', channel),
    postMentionBatch: async (thread) => posted('postMentionBatch', thread.channel),
    updateMentionBatch: async () => done('updateMentionBatch'),
    findMentionBatch: async () => nothingFound('findMentionBatch'),
    showErased: async () => done('showErased'),
    tellPrivately: async () => done('tellPrivately'),
    publishHome: async () => done('publishHome'),
  };
}
