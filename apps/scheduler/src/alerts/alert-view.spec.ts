import { describe, expect, it } from '@jest/globals';
import type { AlertView } from '#ferry/contracts';
import { headline, oneLine, slackText } from './alert-view.js';

// Text a trigger's sender chose (source, event, messageId) reaches alerts; each channel escapes it.
const hostile = 'billing\r\nBcc: victim@example.com\n<!channel> <http://evil.example|click> & more';

describe('alert text from senders', () => {
  it('is one line for a mail subject or a log line: no header can be added', () => {
    const subject = oneLine(`[Ferry] ${hostile}`);
    expect(subject).not.toMatch(/[\r\n]/);
    expect(subject).toBe('[Ferry] billing Bcc: victim@example.com <!channel> <http://evil.example|click> & more');
    expect(oneLine('a\u0000b\u2028c\u0085d\te')).toBe('a b c d e');
  });

  it('is escaped for Slack mrkdwn: no mention, link or entity of its own', () => {
    expect(slackText('<!channel> <http://evil.example|click> & &amp;')).toBe(
      '&lt;!channel&gt; &lt;http://evil.example|click&gt; &amp; &amp;amp;',
    );
  });

  it('reaches the headline as written (each channel escapes it)', () => {
    const alert = { kind: 'UNMATCHED_TRIGGER', triggerId: 't-1', groupRunId: null, definition: null } as AlertView;
    expect(headline({ ...alert, message: hostile })).toContain(hostile);
  });
});
