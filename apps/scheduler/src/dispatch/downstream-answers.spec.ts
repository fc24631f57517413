import { describe, expect, it } from '@jest/globals';
import { badPollAnswer, badStartAnswer } from './downstream-answers.js';

describe("a downstream's answers", () => {
  it('takes a job id of 1-200 letters, digits and ._:@~+=-', () => {
    for (const jobId of ['0f9c1e2a-7d1c-4a57-9d7e-0e5f6a7b8c9d', '42', 'job-1.a:b@c~d+e=f'])
      expect(badStartAnswer({ jobId, status: 'ACCEPTED', extra: 'ignored' })).toBeUndefined();
  });

  it.each([
    ['no job id', { status: 'ACCEPTED' }, 'jobId is required'],
    ['a number', { jobId: 42 }, 'jobId must be string'],
    ['an empty one', { jobId: '' }, 'jobId must NOT have fewer than 1 characters'],
    ['a long one', { jobId: 'x'.repeat(201) }, 'jobId must NOT have more than 200 characters'],
    ['a path', { jobId: '../../admin' }, 'jobId must match pattern'],
    ['markup', { jobId: '<script>' }, 'jobId must match pattern'],
    ['not an object', 'accepted', '(body) must be object'],
  ])('refuses %s with a reason', (_, body, problem) => {
    expect(badStartAnswer(body)).toEqual({
      code: 'DOWNSTREAM_BAD_ANSWER',
      message: expect.stringContaining(problem),
    });
  });

  it("checks the poll answer's shape: status, progress, reconciliation, error (null allowed)", () => {
    expect(badPollAnswer({ jobId: 'j', status: 'RUNNING', progress: { processed: 1 }, files: [] })).toBeUndefined();
    expect(badPollAnswer({ status: 'SUCCEEDED', reconciliation: null, error: null, progress: null })).toBeUndefined();
    expect(badPollAnswer({ status: 'DONE' })?.message).toContain('status must be equal to one of the allowed values');
    expect(badPollAnswer({ status: 'RUNNING', progress: { processed: -1 } })?.message).toContain('progress');
    expect(badPollAnswer({ status: 'FAILED', error: { code: 'X', message: 'm'.repeat(5000) } })?.message).toContain(
      'error',
    );
  });
});
