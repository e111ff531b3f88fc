import { describe, expect, it } from 'vitest';
import { renderEveryView } from '../helpers/every-view.ts';

/**
 * One snapshot per view, with ordinary text: a change to what people see in Slack shows up in
 * review as a diff of the Block Kit, and is accepted on purpose (`vitest -u`), never by accident.
 */
describe('what each view looks like', () => {
  const rendered = renderEveryView({
    text: 'Ada Lovelace',
    long: 'Where is my parcel? I ordered the tent on the 20th and tracking has not moved since Monday.',
    handle: 'ada_l',
    tag: 'vip-2026',
  });
  for (const [name, view] of Object.entries(rendered)) {
    it(name, () => {
      expect(view).toMatchSnapshot();
    });
  }
});
